//! The `grants` table: one row per plugin the operator granted something, its grant as JSON
//! text. What a grant means is [`crate::grants`]'s business; this only stores it.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Store, StoreError, now_ms};
use crate::grants::{Grant, GrantSet, PluginId, PluginKind, UserDefault};

impl Store {
    /// Every stored grant, with `user_default` for user plugins without one: one read, shared
    /// by the runs of a job. A row whose grant cannot be read is logged and denies its plugin
    /// everything ([`GrantSet::unreadable`] says why); the other rows are used as stored.
    pub async fn grant_set(&self, user_default: UserDefault) -> Result<GrantSet, StoreError> {
        let rows = sqlx::query("SELECT kind, name, grant_json FROM grants")
            .fetch_all(self.reader())
            .await?;
        let mut stored = BTreeMap::new();
        let mut unreadable = Vec::new();
        for row in rows {
            let kind: String = row.try_get("kind")?;
            // A kind this version does not know is someone else's row: it grants nothing here.
            let Some(kind) = PluginKind::parse(&kind) else {
                continue;
            };
            let name: String = row.try_get("name")?;
            let plugin = PluginId { kind, name };
            match read_grant(&row) {
                Ok(grant) => {
                    stored.insert(plugin, grant);
                }
                Err(problem) => {
                    tracing::error!(
                        plugin = %plugin.name,
                        kind = plugin.kind.as_str(),
                        %problem,
                        "the stored grant of this plugin is unreadable: it is denied everything until its grant is replaced"
                    );
                    unreadable.push((plugin, problem));
                }
            }
        }
        let mut set = GrantSet::new(stored, user_default);
        for (plugin, problem) in unreadable {
            set.mark_unreadable(plugin, problem);
        }
        Ok(set)
    }

    /// Stores `grant` for `plugin`, replacing its earlier one.
    pub async fn put_grant(&self, plugin: &PluginId, grant: &Grant) -> Result<(), StoreError> {
        let text = serde_json::to_string(grant).map_err(|source| StoreError::Corrupt {
            what: "grants.grant_json",
            source,
        })?;
        sqlx::query(
            "INSERT INTO grants (kind, name, grant_json, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (kind, name) DO UPDATE SET grant_json = excluded.grant_json, \
             updated_at = excluded.updated_at",
        )
        .bind(plugin.kind.as_str())
        .bind(&plugin.name)
        .bind(text)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// The grant of one `grants` row, or why it cannot be read.
fn read_grant(row: &sqlx::any::AnyRow) -> Result<Grant, String> {
    let text: String = row
        .try_get("grant_json")
        .map_err(|e| format!("grant_json: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("grant_json is not JSON: {e}"))?;
    Grant::from_json(value).map_err(|e| format!("grant_json is not a valid grant: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grants::Capability;

    #[tokio::test]
    async fn grants_an_unreadable_row_denies_its_plugin_and_the_others_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&dir.path().join("g.db").display().to_string())
            .await
            .unwrap();
        let good = PluginId::builtin("text_generator");
        let mut narrow = Grant::none();
        narrow.capabilities.insert(Capability::Log);
        store.put_grant(&good, &narrow).await.unwrap();
        for (name, text) in [
            (
                "extra_field",
                r#"{"capabilities": [], "models": [], "surprise": 1}"#,
            ),
            ("not_json", "{"),
            ("bad_glob", r#"{"capabilities": ["llm"], "models": ["[a"]}"#),
        ] {
            sqlx::query("INSERT INTO grants (kind, name, grant_json, updated_at) VALUES ('plugin', $1, $2, 0)")
                .bind(name)
                .bind(text)
                .execute(store.pool())
                .await
                .unwrap();
        }

        let set = store.grant_set(UserDefault::Declared).await.unwrap();
        assert_eq!(set.grant(&good), narrow);
        assert_eq!(set.unreadable(&good), None);
        for (name, problem) in [
            ("extra_field", "surprise"),
            ("not_json", "not JSON"),
            ("bad_glob", "[a"),
        ] {
            let plugin = PluginId {
                kind: PluginKind::Plugin,
                name: name.to_owned(),
            };
            assert_eq!(
                set.grant(&plugin),
                Grant::none(),
                "{name}: denied, not its default"
            );
            let shown = set.unreadable(&plugin).unwrap_or_default();
            assert!(shown.contains(problem), "{name}: {shown}");
            assert!(set.is_stored(&plugin));
        }
    }
}
