//! The `grants` table: one row per plugin the operator granted something, its grant as JSON
//! text. What a grant means is [`crate::grants`]'s business; this only stores it.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Store, StoreError, now_ms, parse_json};
use crate::grants::{Grant, GrantSet, PluginId, PluginKind, UserDefault};

impl Store {
    /// Every stored grant, with `user_default` for user plugins without one: one read, shared
    /// by the runs of a job.
    pub async fn grant_set(&self, user_default: UserDefault) -> Result<GrantSet, StoreError> {
        let rows = sqlx::query("SELECT kind, name, grant_json FROM grants")
            .fetch_all(self.reader())
            .await?;
        let mut stored = BTreeMap::new();
        for row in rows {
            let kind: String = row.try_get("kind")?;
            // A kind this version does not know is someone else's row: it grants nothing here.
            let Some(kind) = PluginKind::parse(&kind) else {
                continue;
            };
            let name: String = row.try_get("name")?;
            let text: String = row.try_get("grant_json")?;
            let grant: Grant = parse_json(&text, "grants.grant_json")?;
            stored.insert(PluginId { kind, name }, grant);
        }
        Ok(GrantSet::new(stored, user_default))
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
