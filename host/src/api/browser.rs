//! What keeps other web pages away from the API: a page the user visits cannot drive a
//! blockforge on their machine, even without `API_KEY`.
//!
//! - **Host names** ([`BrowserPolicy::host_allowed`]): a request's `Host` must be one the server
//!   answers to — `localhost`, `127.0.0.1`, `[::1]`, the `HOST` it binds, or one of
//!   `ALLOWED_HOSTS` (`*` for any). When `HOST` binds every address (`0.0.0.0`, `::`), any IP
//!   address is accepted too. A DNS-rebinding page reaches the server under its own name, so
//!   it is refused (421). Requests without `Host` (HTTP/1.0 tools) pass.
//! - **Cross-origin writes** ([`BrowserPolicy::write_allowed`]): a `POST`, `PUT`, `PATCH` or
//!   `DELETE` from a browser must come from the server's own origin (its `Origin` names the
//!   request's `Host`, or the browser says `Sec-Fetch-Site: same-origin`) or from one of
//!   `ALLOWED_ORIGINS`; otherwise 403. Clients that send neither `Origin` nor `Sec-Fetch-Site`
//!   (curl, scripts) are not browsers driven by a foreign page, and pass.
//! - **Security headers** ([`security_headers`]) on every answer: a Content-Security-Policy
//!   that lets the UI load only its own scripts and never be framed, `X-Frame-Options: DENY`,
//!   `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;

use super::ApiError;

/// The UI's Content-Security-Policy: scripts, styles, fonts and API calls from the server
/// itself; images also as `data:` URLs (the favicon); no plugins, no framing, forms post
/// only here. Inline styles stay allowed: CodeMirror injects `<style>` elements at run time
/// (with `style-src 'self'` the block config editor never appears — the browser test
/// fails); scripts, which are what an injection would need, stay `'self'` only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
    frame-ancestors 'none'";

/// The host names and origins the server accepts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrowserPolicy {
    /// Host names beside the defaults, lower case, without port (`ALLOWED_HOSTS`).
    pub allowed_hosts: Vec<String>,
    /// Origins allowed to make writes beside the server's own, as `scheme://host[:port]`
    /// (`ALLOWED_ORIGINS`).
    pub allowed_origins: Vec<String>,
    /// Whether the server binds every address (any IP address is then a name of it).
    pub any_ip: bool,
}

impl BrowserPolicy {
    /// The policy for a server bound to `bind_host` with the extra `allowed_hosts` and
    /// `allowed_origins` (comma-separated lists, as the variables hold them).
    pub fn new(bind_host: &str, allowed_hosts: &str, allowed_origins: &str) -> Self {
        let list = |text: &str| -> Vec<String> {
            text.split(',')
                .map(|item| item.trim().trim_end_matches('/').to_ascii_lowercase())
                .filter(|item| !item.is_empty())
                .collect()
        };
        let bind = bind_host
            .trim()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase();
        let any_ip = bind.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        if !any_ip && !bind.is_empty() && !hosts.contains(&bind) {
            hosts.push(bind);
        }
        for host in list(allowed_hosts) {
            let host = host.trim_matches(['[', ']']).to_owned();
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        BrowserPolicy {
            allowed_hosts: hosts,
            allowed_origins: list(allowed_origins),
            any_ip,
        }
    }

    /// Whether `host` (a `Host` header: a name or address, maybe with a port) names this
    /// server.
    pub fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host);
        if self.allowed_hosts.iter().any(|h| h == "*" || *h == name) {
            return true;
        }
        self.any_ip && name.parse::<IpAddr>().is_ok()
    }

    /// Whether a write with these `Origin`, `Sec-Fetch-Site` and `Host` headers may proceed.
    pub fn write_allowed(
        &self,
        origin: Option<&str>,
        fetch_site: Option<&str>,
        host: Option<&str>,
    ) -> bool {
        // The browser computes Sec-Fetch-Site and no page can set it: same-origin is proof
        // (also behind a proxy that rewrites Host), "none" is the user's own action.
        if matches!(fetch_site, Some("same-origin" | "none")) {
            return true;
        }
        match origin {
            Some(origin) => {
                let origin = origin.trim_end_matches('/').to_ascii_lowercase();
                let own = host.is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
                });
                own || self
                    .allowed_origins
                    .iter()
                    .any(|o| o == "*" || *o == origin)
            }
            // A browser that says cross-site (or same-site: another port or subdomain) but
            // sends no Origin is refused; no Sec-Fetch-Site and no Origin is not a browser.
            None => !matches!(fetch_site, Some("cross-site" | "same-site")),
        }
    }
}

/// The host name of a `Host` header value: lower case, without port or IPv6 brackets.
fn host_name(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_owned();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name.to_owned(),
        _ => host,
    }
}

/// Refuses requests for a foreign `Host` (421) and cross-origin writes (403).
pub async fn guard(
    State(policy): State<Arc<BrowserPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = text(header::HOST);
    if let Some(host) = host
        && !policy.host_allowed(host)
    {
        return ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "host name not allowed",
            json!({
                "host": host,
                "allowed": policy.allowed_hosts,
                "setting": "ALLOWED_HOSTS",
            }),
        )
        .into_response();
    }
    let writes = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let origin = text(header::ORIGIN);
    let fetch_site = text(header::HeaderName::from_static("sec-fetch-site"));
    if writes && !policy.write_allowed(origin, fetch_site, host) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross-origin request refused",
            json!({
                "method": request.method().as_str(),
                "path": request.uri().path(),
                "origin": origin,
                "sec_fetch_site": fetch_site,
                "allowed_origins": policy.allowed_origins,
                "setting": "ALLOWED_ORIGINS",
            }),
        )
        .into_response();
    }
    next.run(request).await
}

/// Adds the security headers to every answer of `router`.
pub fn security_headers<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
) -> axum::Router<S> {
    let set = |name: header::HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    router
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "same-origin"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        let local = BrowserPolicy::new("127.0.0.1", "", "");
        let named = BrowserPolicy::new("127.0.0.1", "forge.example.com, [fd00::1]", "");
        let everywhere = BrowserPolicy::new("0.0.0.0", "", "");
        let any = BrowserPolicy::new("127.0.0.1", "*", "");
        let bound = BrowserPolicy::new("192.168.1.5", "", "");
        for (policy, host, allowed) in [
            (&local, "localhost:8000", true),
            (&local, "LOCALHOST", true),
            (&local, "127.0.0.1:8000", true),
            (&local, "[::1]:8000", true),
            (&local, "evil.example:8000", false),
            (&local, "localhost.evil.example", false),
            (&local, "10.0.0.1", false),
            (&named, "forge.example.com", true),
            (&named, "forge.example.com:443", true),
            (&named, "[fd00::1]:8000", true),
            (&named, "other.example.com", false),
            (&everywhere, "192.168.1.5:8000", true),
            (&everywhere, "[fe80::1]:8000", true),
            (&everywhere, "rebind.example:8000", false),
            (&any, "anything.example", true),
            (&bound, "192.168.1.5:8000", true),
            (&bound, "192.168.1.6:8000", false),
        ] {
            assert_eq!(policy.host_allowed(host), allowed, "{policy:?} {host}");
        }
    }

    #[test]
    fn cross_origin_writes() {
        let policy = BrowserPolicy::new("127.0.0.1", "", "https://ui.example.com");
        let host = Some("localhost:8000");
        for (origin, site, allowed) in [
            // Not a browser.
            (None, None, true),
            // The UI itself.
            (Some("http://localhost:8000"), Some("same-origin"), true),
            (Some("http://localhost:8000"), None, true),
            (None, Some("same-origin"), true),
            (None, Some("none"), true),
            // A foreign page.
            (Some("https://evil.example"), Some("cross-site"), false),
            (Some("https://evil.example"), None, false),
            (Some("null"), None, false),
            (None, Some("cross-site"), false),
            (Some("http://localhost:9999"), Some("same-site"), false),
            (None, Some("same-site"), false),
            // A configured origin.
            (Some("https://ui.example.com"), Some("cross-site"), true),
            (Some("https://UI.example.com/"), None, true),
        ] {
            assert_eq!(
                policy.write_allowed(origin, site, host),
                allowed,
                "{origin:?} {site:?}"
            );
        }
    }
}
