//! A Hub repository id, `owner/name`, checked as the Hub checks it before it goes into a URL.

use super::HubError;

/// Characters a repository id's parts may have at most.
const MAX_PART: usize = 96;

/// A Hub repository id: an owner (user or organisation) and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoId {
    owner: String,
    name: String,
}

/// Whether `part` is a valid owner or name: ASCII letters, digits, `-`, `_`, `.`, at most
/// [`MAX_PART`], not starting or ending with `-` or `.`, without `--` or `..`.
fn valid(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= MAX_PART
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !part.starts_with(['-', '.'])
        && !part.ends_with(['-', '.'])
        && !part.contains("--")
        && !part.contains("..")
}

impl std::str::FromStr for RepoId {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text.split_once('/') {
            Some((owner, name)) if valid(owner) && valid(name) => Ok(RepoId {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(HubError::BadRepo(text.to_owned())),
        }
    }
}

impl RepoId {
    /// The user or organisation.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_ids_are_owner_slash_name_in_the_hubs_characters() {
        for good in ["me/chats", "my-org/chats_v2.1", "A/b"] {
            let repo: RepoId = good.parse().unwrap();
            assert_eq!(repo.to_string(), good);
        }
        for bad in [
            "chats",
            "me/",
            "/chats",
            "me/chats/extra",
            "me/../x",
            "me/-x",
            "me/x.",
            "me/a--b",
            "me/a b",
            "me/%2e%2e",
            "me/a?b",
            &format!("me/{}", "x".repeat(97)),
        ] {
            assert!(bad.parse::<RepoId>().is_err(), "{bad}");
        }
    }
}
