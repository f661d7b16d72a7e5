//! What a site's `robots.txt` says, as the block keeps it: an answer is read as Google's
//! crawler reads it (2xx: the rules; 4xx: no rules, everything allowed; 429 and 5xx: the
//! site is unavailable, nothing may be fetched now), kept as text in the job's kv storage per
//! site, and asked about one URL for the block's user agent. Rules are matched by
//! `texting_robots`; `Crawl-delay` is ignored (the grant's per-host rate paces requests).
//! No host needed.

use serde::{Deserialize, Serialize};
use texting_robots::Robot;

/// The largest `robots.txt` read (Google's limit); the rest is ignored, from a line's start.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// A site's `robots.txt`, as kept between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "rules", rename_all = "snake_case")]
pub enum RobotsFile {
    /// No file (a 4xx answer): every URL allowed.
    AllowAll,
    /// The file's text.
    Rules(String),
    /// The site could not say (429, 5xx, no answer): nothing is fetched from it until
    /// `until` (Unix seconds), when it is asked again.
    Unreachable {
        /// Why, as the fetches refused meanwhile say.
        message: String,
        /// The status it answered, if any.
        status: Option<u16>,
        /// Unix seconds.
        until: u64,
    },
}

/// How a `robots.txt` request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsAnswer {
    /// A file to keep (or its absence).
    File(RobotsFile),
    /// The site cannot say now (429 or 5xx): fetch nothing from it; not kept.
    Unavailable(u16),
}

/// The `robots.txt` URL of the site serving `page`.
pub fn robots_url(page: &str) -> Result<String, String> {
    texting_robots::get_robots_url(page).map_err(|e| format!("{page:?}: {e}"))
}

/// The name `robots.txt` groups are matched against: the user agent's product token
/// (`Bot/1.0 (+https://...)` → `Bot`).
pub fn agent_token(user_agent: &str) -> &str {
    user_agent
        .split(['/', ' '])
        .next()
        .filter(|token| !token.is_empty())
        .unwrap_or("*")
}

/// Reads an answer to a `robots.txt` request.
pub fn from_answer(status: u16, body: &[u8]) -> RobotsAnswer {
    match status {
        200..=299 => {
            let mut end = body.len().min(MAX_ROBOTS_BYTES);
            if end < body.len() {
                end = body[..end]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |newline| newline + 1);
            }
            let text = String::from_utf8_lossy(&body[..end]).into_owned();
            RobotsAnswer::File(RobotsFile::Rules(text))
        }
        429 | 500..=599 => RobotsAnswer::Unavailable(status),
        // 4xx (and anything else that is no file): no rules.
        _ => RobotsAnswer::File(RobotsFile::AllowAll),
    }
}

impl RobotsFile {
    /// The text kept in kv.
    pub fn to_kept(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A kept text read back; `None` when it is not one (then the file is fetched again).
    pub fn from_kept(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// Whether `url` may be fetched by `agent`; an error when the rules cannot be read.
    pub fn allows(&self, agent: &str, url: &str) -> Result<bool, String> {
        match self {
            RobotsFile::AllowAll => Ok(true),
            RobotsFile::Unreachable { message, .. } => Err(message.clone()),
            RobotsFile::Rules(text) => Robot::new(agent, text.as_bytes())
                .map(|robot| robot.allowed(url))
                .map_err(|e| format!("robots.txt cannot be read: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "User-agent: *\nDisallow: /private/\nAllow: /private/open\n\n\
                         User-agent: StrictBot\nDisallow: /\n";

    #[test]
    fn rules_are_matched_for_the_agent() {
        let file = RobotsFile::Rules(RULES.to_owned());
        // (agent, url, allowed)
        let table = [
            ("blockforge-webfetch", "https://a.test/page", true),
            ("blockforge-webfetch", "https://a.test/private/x", false),
            ("blockforge-webfetch", "https://a.test/private/open", true),
            ("StrictBot", "https://a.test/page", false),
            ("strictbot", "https://a.test/robots.txt", true),
        ];
        for (agent, url, allowed) in table {
            assert_eq!(file.allows(agent, url), Ok(allowed), "{agent} {url}");
        }
        assert_eq!(
            RobotsFile::AllowAll.allows("x", "https://a.test/private/x"),
            Ok(true)
        );
    }

    #[test]
    fn answers_are_read_as_crawlers_do() {
        assert_eq!(
            from_answer(200, RULES.as_bytes()),
            RobotsAnswer::File(RobotsFile::Rules(RULES.to_owned()))
        );
        for status in [401, 403, 404, 410] {
            assert_eq!(
                from_answer(status, b"nope"),
                RobotsAnswer::File(RobotsFile::AllowAll)
            );
        }
        for status in [429, 500, 503] {
            assert_eq!(from_answer(status, b""), RobotsAnswer::Unavailable(status));
        }
        // A huge file is cut at the last whole line within the limit.
        let mut huge = "Disallow: /a\n".repeat(MAX_ROBOTS_BYTES / 13 + 10);
        huge.push_str("Disallow: /tail\n");
        let RobotsAnswer::File(RobotsFile::Rules(kept)) = from_answer(200, huge.as_bytes()) else {
            panic!("rules");
        };
        assert!(kept.len() <= MAX_ROBOTS_BYTES && kept.ends_with('\n'));
        assert!(!kept.contains("/tail"));
    }

    #[test]
    fn files_are_kept_and_read_back() {
        let unreachable = RobotsFile::Unreachable {
            message: "503".to_owned(),
            status: Some(503),
            until: 1_800_000_000,
        };
        for file in [
            RobotsFile::AllowAll,
            RobotsFile::Rules(RULES.to_owned()),
            unreachable,
        ] {
            assert_eq!(RobotsFile::from_kept(&file.to_kept()), Some(file));
        }
        assert_eq!(RobotsFile::from_kept("garbage"), None);
    }

    #[test]
    fn the_agent_token_and_the_robots_url() {
        assert_eq!(agent_token("Bot/1.0 (+https://b.test)"), "Bot");
        assert_eq!(agent_token("blockforge-webfetch"), "blockforge-webfetch");
        assert_eq!(agent_token(""), "*");
        assert_eq!(
            robots_url("https://u:p@a.test:8443/x/y?q=1").as_deref(),
            Ok("https://a.test:8443/robots.txt")
        );
        assert!(robots_url("not a url").is_err());
    }
}
