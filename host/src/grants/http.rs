//! The `http` part of a grant: which URLs a plugin may reach ([`HttpAllowList`]) and its
//! limits ([`GrantHttp`]). An entry is a host (`example.com`, `127.0.0.1`, `[::1]`), a host
//! and port (`localhost:8080`), every subdomain of a host (`*.example.com`), every host
//! (`*`), or a URL pattern with a scheme (`https://example.com/docs/**`, a glob over the URL
//! where `*` stays within a `/` segment). Only an entry that names a host without a wildcard
//! names it *explicitly*: that is what lets a request reach a private, loopback or link-local
//! address. Hosts are compared as URLs carry them: lower case, international names in their
//! IDNA (punycode) form, so `Bücher.Example` in a grant matches `https://bücher.example/`.

use std::time::Duration;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};
use url::Url;

use super::GrantError;

/// Most allow-list entries one grant holds.
pub const MAX_HTTP_ENTRIES: usize = 256;

/// Longest allow-list entry, bytes.
pub const MAX_HTTP_ENTRY_BYTES: usize = 512;

/// Default and maximum of each `http` limit.
pub mod http_limits {
    use std::time::Duration;

    /// Largest response body, by default.
    pub const RESPONSE_BYTES: u64 = 10 << 20;
    /// Largest response body a grant may allow.
    pub const RESPONSE_BYTES_MAX: u64 = 256 << 20;
    /// Time per request (redirects included), by default.
    pub const TIMEOUT: Duration = Duration::from_secs(30);
    /// Longest time per request a grant may allow.
    pub const TIMEOUT_MAX: Duration = Duration::from_secs(300);
    /// Requests per minute to one host, by default (2 per second).
    pub const PER_HOST_PER_MINUTE: u64 = 120;
    /// Most requests per minute to one host a grant may allow (100 per second).
    pub const PER_HOST_PER_MINUTE_MAX: u64 = 6000;
    /// Requests per run (redirect hops count), by default.
    pub const PER_RUN: u64 = 100;
    /// Most requests per run a grant may allow.
    pub const PER_RUN_MAX: u64 = 10_000;
}

/// What a grant says about outgoing HTTP: where to and how much. Limits left out take the
/// defaults of [`http_limits`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantHttp {
    /// Hosts or URL patterns the plugin may reach; empty (the default) reaches nothing.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Host names (no wildcard, no port) whose DNS answers may be private, loopback or
    /// link-local addresses, when `allow` names them explicitly. Without it only an IP
    /// literal or `localhost` named in `allow` reaches such an address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_private: Vec<String>,
    /// Largest response body, bytes; a larger one is cut and the request fails `too-large`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_bytes: Option<u64>,
    /// Time per request, redirects included, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Requests per minute to one host, over every run of the plugin on this server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_host_per_minute: Option<u64>,
    /// Requests per run (each redirect hop is one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_per_run: Option<u64>,
}

impl GrantHttp {
    /// Checks the entries (how many, how long, that they parse) and the limits (above 0, at
    /// most their maximum).
    pub fn check(&self) -> Result<(), GrantError> {
        HttpAllowList::parse(&self.allow)?;
        private_hosts(&self.allow_private)?;
        let limits = [
            (
                "http.max_response_bytes",
                self.max_response_bytes,
                http_limits::RESPONSE_BYTES_MAX,
            ),
            (
                "http.timeout_ms",
                self.timeout_ms,
                http_limits::TIMEOUT_MAX.as_millis() as u64,
            ),
            (
                "http.per_host_per_minute",
                self.per_host_per_minute,
                http_limits::PER_HOST_PER_MINUTE_MAX,
            ),
            (
                "http.max_requests_per_run",
                self.max_requests_per_run,
                http_limits::PER_RUN_MAX,
            ),
        ];
        for (name, value, maximum) in limits {
            match value {
                Some(0) => return Err(GrantError::ZeroLimit { name }),
                Some(requested) if requested > maximum => {
                    return Err(GrantError::AboveMaximum {
                        name,
                        requested,
                        maximum,
                        setting: "the http limits' built-in maximum",
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The limits a call runs under: the grant's, else the defaults, never above a maximum.
    pub fn limits(&self) -> HttpLimits {
        HttpLimits {
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(http_limits::RESPONSE_BYTES)
                .min(http_limits::RESPONSE_BYTES_MAX),
            timeout: self
                .timeout_ms
                .map_or(http_limits::TIMEOUT, Duration::from_millis)
                .min(http_limits::TIMEOUT_MAX),
            per_host_per_minute: self
                .per_host_per_minute
                .unwrap_or(http_limits::PER_HOST_PER_MINUTE)
                .clamp(1, http_limits::PER_HOST_PER_MINUTE_MAX),
            max_requests_per_run: self
                .max_requests_per_run
                .unwrap_or(http_limits::PER_RUN)
                .min(http_limits::PER_RUN_MAX),
        }
    }
}

/// Parses `http.allow_private`: at most [`MAX_HTTP_ENTRIES`] plain host names (no wildcard,
/// port, scheme or path), normalized to lower case.
pub fn private_hosts(entries: &[String]) -> Result<Vec<String>, GrantError> {
    if entries.len() > MAX_HTTP_ENTRIES {
        return Err(GrantError::Syntax(format!(
            "{} http.allow_private entries; a grant takes at most {MAX_HTTP_ENTRIES}",
            entries.len()
        )));
    }
    entries
        .iter()
        .map(|entry| {
            let host = normalize_host(entry.trim());
            let host = host.as_str();
            let plain = !host.is_empty()
                && host.len() <= MAX_HTTP_ENTRY_BYTES
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if plain {
                Ok(host.to_ascii_lowercase())
            } else {
                Err(GrantError::Syntax(format!(
                    "http.allow_private entry {entry:?}: a host name without wildcard, port, \
                     scheme or path"
                )))
            }
        })
        .collect()
}

/// Whether a request to `host`, named explicitly in the allow-list, may connect to a
/// private, loopback or link-local address: an IP literal or `localhost` may, a host name
/// only when `allow_private` (normalized) lists it.
pub fn may_reach_reserved(host: &str, is_ip_literal: bool, allow_private: &[String]) -> bool {
    let host = normalize_host(host);
    is_ip_literal || host == "localhost" || allow_private.contains(&host)
}

/// The `http` limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest response body, bytes.
    pub max_response_bytes: u64,
    /// Time per request, redirects included.
    pub timeout: Duration,
    /// Requests per minute to one host.
    pub per_host_per_minute: u64,
    /// Requests per run.
    pub max_requests_per_run: u64,
}

/// Whether a URL is on the allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlAccess {
    /// An entry names its host without a wildcard: it may resolve to any address.
    Explicit,
    /// Allowed through a wildcard: it must resolve to a public address.
    Allowed,
    /// No entry matches.
    NotAllowed,
}

/// One parsed allow-list entry.
#[derive(Debug, Clone)]
enum Entry {
    /// Every host.
    Any,
    /// A host (lower case, no brackets), on any port or one.
    Host { host: String, port: Option<u16> },
    /// Every subdomain of a host (not the host itself), on any port or one.
    Subdomains { suffix: String, port: Option<u16> },
    /// A URL glob, and the host its pattern names when it names one without a wildcard.
    Url {
        glob: GlobMatcher,
        explicit_host: Option<String>,
    },
}

/// A plugin's allow-list, parsed.
#[derive(Debug, Clone, Default)]
pub struct HttpAllowList {
    entries: Vec<Entry>,
}

/// A host as compared: as the URL standard parses it (lower case, IDNA-encoded, IPv4 in
/// dotted form), IPv6 without its brackets. Text that is no host stays as written, lower
/// case, and matches nothing a URL carries.
fn normalize_host(host: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.contains(':') {
        return bare
            .parse::<std::net::Ipv6Addr>()
            .map_or_else(|_| bare.to_ascii_lowercase(), |ip| ip.to_string());
    }
    match url::Host::parse(bare) {
        Ok(url::Host::Domain(domain)) => domain,
        Ok(url::Host::Ipv4(ip)) => ip.to_string(),
        Ok(url::Host::Ipv6(ip)) => ip.to_string(),
        Err(_) => bare.to_ascii_lowercase(),
    }
}

/// Whether `text` holds a glob's wildcard or class.
fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '[', '{'])
}

/// A URL pattern with its scheme and host normalized (a host with a wildcard label: each
/// label in lower case, non-ASCII labels IDNA-encoded; else as [`normalize_host`] writes it);
/// the path stays as written.
fn normalize_pattern(scheme: &str, rest: &str) -> String {
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.starts_with('[') {
        return format!("{}://{authority}{path}", scheme.to_ascii_lowercase());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, format!(":{port}")),
        None => (authority, String::new()),
    };
    let host = if has_glob(host) {
        host.split('.')
            .map(|label| {
                if has_glob(label) || label.is_ascii() {
                    label.to_lowercase()
                } else {
                    // Only a non-ASCII label is encoded: a label alone is no host, and one
                    // such as `123` or `0x1f` would read as an IPv4 address.
                    url::quirks::domain_to_ascii(label)
                }
            })
            .collect::<Vec<_>>()
            .join(".")
    } else {
        normalize_host(host)
    };
    format!("{}://{host}{port}{path}", scheme.to_ascii_lowercase())
}

/// Splits `host[:port]` (`[v6]:port` for IPv6).
fn split_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            port => Some((host, Some(port.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port.parse().ok()?))),
        Some(_) => Some((text, None)),
        None => Some((text, None)),
    }
}

fn bad_entry(entry: &str, message: &str) -> GrantError {
    GrantError::Syntax(format!("http.allow entry {entry:?}: {message}"))
}

impl Entry {
    fn parse(text: &str) -> Result<Entry, GrantError> {
        let entry = text.trim();
        if entry.is_empty() {
            return Err(bad_entry(text, "empty"));
        }
        if entry == "*" {
            return Ok(Entry::Any);
        }
        if let Some((scheme, rest)) = entry.split_once("://") {
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return Err(bad_entry(text, "only http and https URLs can be allowed"));
            }
            let entry = normalize_pattern(scheme, rest);
            let rest = entry.split_once("://").map_or("", |(_, rest)| rest);
            let authority = rest.split('/').next().unwrap_or_default();
            let host = split_port(authority)
                .map(|(host, _)| host)
                .unwrap_or_default();
            let explicit_host = (!host.is_empty() && !has_glob(host)).then(|| normalize_host(host));
            let glob = GlobBuilder::new(&entry)
                .literal_separator(true)
                .build()
                .map_err(|e| bad_entry(text, &e.kind().to_string()))?
                .compile_matcher();
            return Ok(Entry::Url {
                glob,
                explicit_host,
            });
        }
        let (host, port) = split_port(entry).ok_or_else(|| bad_entry(text, "bad port"))?;
        if host.contains('/') {
            return Err(bad_entry(
                text,
                "a URL pattern needs its scheme (https://...)",
            ));
        }
        match host.strip_prefix("*.") {
            Some(suffix) if !suffix.is_empty() && !suffix.contains('*') => Ok(Entry::Subdomains {
                suffix: normalize_host(suffix),
                port,
            }),
            Some(_) => Err(bad_entry(text, "a wildcard is `*` or `*.domain`")),
            None if host.contains('*') || host.is_empty() => {
                Err(bad_entry(text, "a wildcard is `*` or `*.domain`"))
            }
            None => Ok(Entry::Host {
                host: normalize_host(host),
                port,
            }),
        }
    }

    fn access(&self, url: &Url, host: &str, port: Option<u16>) -> UrlAccess {
        let port_ok = |wanted: &Option<u16>| wanted.is_none() || *wanted == port;
        match self {
            Entry::Any => UrlAccess::Allowed,
            Entry::Host { host: h, port: p } if h == host && port_ok(p) => UrlAccess::Explicit,
            Entry::Subdomains { suffix, port: p }
                if port_ok(p)
                    && host
                        .strip_suffix(suffix.as_str())
                        .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')) =>
            {
                UrlAccess::Allowed
            }
            Entry::Url {
                glob,
                explicit_host,
            } if glob.is_match(pattern_text(url)) => {
                if explicit_host.as_deref() == Some(host) {
                    UrlAccess::Explicit
                } else {
                    UrlAccess::Allowed
                }
            }
            _ => UrlAccess::NotAllowed,
        }
    }
}

/// The URL as patterns see it: without its user name, password and fragment, so that
/// `https://example.com*/**` cannot match `https://example.com@elsewhere.net/`.
fn pattern_text(url: &Url) -> String {
    let mut bare = url.clone();
    // Only URLs that cannot have credentials refuse these, and those have none to clear.
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    bare[..url::Position::AfterQuery].to_owned()
}

impl HttpAllowList {
    /// Parses `entries`, refusing too many, too long or malformed ones.
    pub fn parse(entries: &[String]) -> Result<Self, GrantError> {
        if entries.len() > MAX_HTTP_ENTRIES {
            return Err(GrantError::Syntax(format!(
                "{} http.allow entries; a grant takes at most {MAX_HTTP_ENTRIES}",
                entries.len()
            )));
        }
        if let Some(long) = entries.iter().find(|e| e.len() > MAX_HTTP_ENTRY_BYTES) {
            return Err(GrantError::Syntax(format!(
                "an http.allow entry of {} bytes; at most {MAX_HTTP_ENTRY_BYTES} each",
                long.len()
            )));
        }
        let entries = entries
            .iter()
            .map(|e| Entry::parse(e))
            .collect::<Result<_, _>>()?;
        Ok(HttpAllowList { entries })
    }

    /// Whether `url` may be reached, and whether its host is named explicitly. The most
    /// permissive answer of any entry wins.
    pub fn access(&self, url: &Url) -> UrlAccess {
        let Some(host) = url.host_str() else {
            return UrlAccess::NotAllowed;
        };
        let host = normalize_host(host);
        let port = url.port_or_known_default();
        let mut found = UrlAccess::NotAllowed;
        for entry in &self.entries {
            match entry.access(url, &host, port) {
                UrlAccess::Explicit => return UrlAccess::Explicit,
                UrlAccess::Allowed => found = UrlAccess::Allowed,
                UrlAccess::NotAllowed => {}
            }
        }
        found
    }

    /// Whether the list is empty (the plugin reaches nothing).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(entries: &[&str], url: &str) -> UrlAccess {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        let list = HttpAllowList::parse(&entries).expect("entries parse");
        list.access(&Url::parse(url).expect("url parses"))
    }

    #[test]
    fn only_literals_localhost_and_opted_in_names_reach_reserved_addresses() {
        let opted = vec!["intranet.corp".to_owned()];
        assert!(may_reach_reserved("127.0.0.1", true, &[]));
        assert!(may_reach_reserved("::1", true, &[]));
        assert!(may_reach_reserved("LOCALHOST", false, &[]));
        assert!(!may_reach_reserved("example.com", false, &[]));
        assert!(!may_reach_reserved("example.com", false, &opted));
        assert!(may_reach_reserved("Intranet.Corp", false, &opted));
    }

    #[test]
    fn allow_private_takes_plain_host_names_only() {
        let parse = |entries: &[&str]| {
            private_hosts(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(
            parse(&["Intranet.Corp"]).expect("plain name"),
            vec!["intranet.corp".to_owned()]
        );
        assert_eq!(
            parse(&["Bücher.Intranet"]).expect("an international name"),
            vec!["xn--bcher-kva.intranet".to_owned()]
        );
        for bad in ["", "*.corp", "intranet:8080", "http://intranet", "a/b"] {
            assert!(parse(&[bad]).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn urls_match_hosts_and_patterns() {
        use UrlAccess::*;
        // (entries, url, expected)
        let table: &[(&[&str], &str, UrlAccess)] = &[
            (&[], "https://example.com/", NotAllowed),
            (&["example.com"], "https://example.com/a", Explicit),
            (&["example.com"], "http://EXAMPLE.com:8080/a", Explicit),
            (&["example.com"], "https://www.example.com/", NotAllowed),
            (
                &["example.com"],
                "https://example.com.evil.net/",
                NotAllowed,
            ),
            (&["example.com:443"], "https://example.com/", Explicit),
            (&["example.com:8443"], "https://example.com/", NotAllowed),
            (&["*.example.com"], "https://www.example.com/", Allowed),
            (&["*.example.com"], "https://a.b.example.com/", Allowed),
            (&["*.example.com"], "https://example.com/", NotAllowed),
            (&["*.example.com"], "https://badexample.com/", NotAllowed),
            (&["*"], "https://anything.org/", Allowed),
            (&["*"], "http://127.0.0.1/", Allowed),
            (&["127.0.0.1"], "http://127.0.0.1:9000/x", Explicit),
            (&["[::1]:9000"], "http://[::1]:9000/x", Explicit),
            (&["::1"], "http://[::1]:9000/x", Explicit),
            (&["[::1]"], "http://[::1]:9000/x", Explicit),
            (&["localhost:9000"], "http://localhost:9001/", NotAllowed),
            (&["*", "localhost"], "http://localhost/", Explicit),
            (
                &["https://example.com/docs/*"],
                "https://example.com/docs/a",
                Explicit,
            ),
            (
                &["https://example.com/docs/*"],
                "https://example.com/docs/a/b",
                NotAllowed,
            ),
            (
                &["https://example.com/docs/**"],
                "https://example.com/docs/a/b",
                Explicit,
            ),
            (
                &["https://example.com/docs/*"],
                "http://example.com/docs/a",
                NotAllowed,
            ),
            (
                &["https://*.example.com/**"],
                "https://api.example.com/v1",
                Allowed,
            ),
            (
                &["https://example.com/docs/*"],
                "https://example.com/docs/a#frag",
                Explicit,
            ),
            // Credentials in a URL are not part of what patterns see.
            (
                &["https://example.com*/**"],
                "https://example.com@evil.net/",
                NotAllowed,
            ),
            (
                &["https://example.com/**"],
                "https://user:pw@example.com/a",
                Explicit,
            ),
            (
                &["example.com"],
                "https://example.com@evil.net/",
                NotAllowed,
            ),
            // Entries are normalized as URLs are: case, IDNA, IPv4 and IPv6 forms.
            (&["EXAMPLE.Com"], "https://example.com/", Explicit),
            (&["Bücher.Example"], "https://bücher.example/", Explicit),
            (
                &["bücher.example"],
                "https://xn--bcher-kva.example/",
                Explicit,
            ),
            (
                &["*.Bücher.example"],
                "https://www.BÜCHER.example/",
                Allowed,
            ),
            // Numeric labels beside a wildcard stay labels, not IPv4 addresses.
            (
                &["https://*.123.example.com/**"],
                "https://a.123.example.com/x",
                Allowed,
            ),
            (
                &["https://*.0x1F.example.com/**"],
                "https://a.0x1f.example.com/x",
                Allowed,
            ),
            (&["http://203.0.113.*/**"], "http://203.0.113.7/x", Allowed),
            (
                &["http://203.0.113.*/**"],
                "http://203.0.114.7/x",
                NotAllowed,
            ),
            (&["[0:0::1]"], "http://[::1]/", Explicit),
            (
                &["HTTPS://Example.COM/docs/*"],
                "https://example.com/docs/a",
                Explicit,
            ),
            (
                &["https://Bücher.example/*"],
                "https://bücher.example/a",
                Explicit,
            ),
            (
                &["https://*.Bücher.example/*"],
                "https://a.bücher.example/a",
                Allowed,
            ),
            // The path stays case-sensitive.
            (
                &["https://example.com/Docs/*"],
                "https://example.com/docs/a",
                NotAllowed,
            ),
        ];
        for (entries, url, expected) in table {
            assert_eq!(access(entries, url), *expected, "{entries:?} {url}");
        }
    }

    #[test]
    fn bad_entries_are_refused() {
        for entry in [
            "",
            "ftp://example.com/*",
            "example.com/docs",
            "ex*ample.com",
            "*.",
            "example.com:port",
            "https://example.com/[",
        ] {
            let parsed = HttpAllowList::parse(&[entry.to_owned()]);
            assert!(parsed.is_err(), "{entry:?} was accepted");
        }
        let many: Vec<String> = (0..=MAX_HTTP_ENTRIES).map(|i| format!("h{i}")).collect();
        assert!(HttpAllowList::parse(&many).is_err());
    }

    #[test]
    fn limits_default_and_are_checked() {
        let none = GrantHttp::default();
        assert_eq!(none.limits().per_host_per_minute, 120);
        assert_eq!(none.check(), Ok(()));
        let zero = GrantHttp {
            timeout_ms: Some(0),
            ..GrantHttp::default()
        };
        assert_eq!(
            zero.check(),
            Err(GrantError::ZeroLimit {
                name: "http.timeout_ms"
            })
        );
        let above = GrantHttp {
            max_requests_per_run: Some(http_limits::PER_RUN_MAX + 1),
            ..GrantHttp::default()
        };
        assert!(matches!(
            above.check(),
            Err(GrantError::AboveMaximum {
                name: "http.max_requests_per_run",
                ..
            })
        ));
    }
}
