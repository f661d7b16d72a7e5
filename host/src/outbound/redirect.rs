//! What a redirect answer leads to: the next URL ([`redirect_target`]) and the request sent
//! there ([`follow`]). Browsers' rules, made stricter where a block's request could leak:
//! a 303 (and a 301/302 of a `POST`) becomes a `GET` without body; a hop to another origin
//! keeps only the CORS-safelisted headers and the user agent (no `Authorization`, cookies or
//! custom keys such as `X-Api-Key`), and refuses to resend a body (307/308 keep the method
//! and body, which a browser would send on to the other origin); a hop from `https` to `http`
//! is refused, as it would send the rest of the exchange in clear text.

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName};
use url::Url;

use super::error::{HttpErrorCode, OutboundError};
use super::redact::redact;

/// The headers a hop to another origin keeps.
const CROSS_ORIGIN_HEADERS: [&str; 5] = [
    "accept",
    "accept-language",
    "content-language",
    "content-type",
    "user-agent",
];

/// The request sent to the next hop.
#[derive(Debug)]
pub struct NextHop {
    /// Where.
    pub url: Url,
    /// Its method.
    pub method: Method,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Option<Vec<u8>>,
}

/// Where an answer of `status` with `headers` to a request for `url` redirects, if it is a
/// redirect (301, 302, 303, 307 or 308 with a `Location`); only `http` and `https` targets
/// with a host.
pub fn redirect_target(
    url: &Url,
    status: u16,
    headers: &[(String, String)],
) -> Result<Option<Url>, OutboundError> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some((_, location)) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("location"))
    else {
        return Ok(None);
    };
    let next = url.join(location).map_err(|e| {
        OutboundError::new(
            HttpErrorCode::Protocol,
            format!("{} redirected to {location:?}, not a URL: {e}", redact(url)),
        )
    })?;
    check_scheme(next).map(Some)
}

/// `url` if it is `http` or `https` with a host.
pub fn check_scheme(url: Url) -> Result<Url, OutboundError> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(OutboundError::new(
            HttpErrorCode::InvalidUrl,
            format!(
                "{}: only http and https URLs with a host can be requested",
                redact(&url)
            ),
        ));
    }
    Ok(url)
}

/// The request that follows a `status` redirect from `from` (sent as `method` with `headers`
/// and `body`) to `to`, or why it is refused (`denied`).
pub fn follow(
    from: &Url,
    status: u16,
    to: Url,
    method: Method,
    mut headers: HeaderMap,
    body: Option<Vec<u8>>,
) -> Result<NextHop, OutboundError> {
    let refused = |why: &str| {
        OutboundError::new(
            HttpErrorCode::Denied,
            format!(
                "denied: {} redirected ({status}) to {}: {why}",
                redact(from),
                redact(&to)
            ),
        )
    };
    if from.scheme() == "https" && to.scheme() == "http" {
        return Err(refused(
            "a redirect from https to http is not followed (it would go on in clear text)",
        ));
    }
    let (method, body) = if status == 303 || (matches!(status, 301 | 302) && method == Method::POST)
    {
        headers.remove(reqwest::header::CONTENT_TYPE);
        let method = if method == Method::HEAD {
            Method::HEAD
        } else {
            Method::GET
        };
        (method, None)
    } else {
        (method, body)
    };
    if to.origin() != from.origin() {
        if body.is_some() {
            return Err(refused(
                "the request body is not sent on to another origin (a 307 or 308 would resend it)",
            ));
        }
        let dropped: Vec<HeaderName> = headers
            .keys()
            .filter(|name| !CROSS_ORIGIN_HEADERS.contains(&name.as_str()))
            .cloned()
            .collect();
        for name in dropped {
            headers.remove(name);
        }
    }
    Ok(NextHop {
        url: to,
        method,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("a URL")
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v)))
            .collect()
    }

    const SENT: [(&str, &str); 5] = [
        ("authorization", "Bearer t"),
        ("cookie", "s=1"),
        ("x-api-key", "k"),
        ("accept", "text/html"),
        ("user-agent", "bf"),
    ];

    #[test]
    fn another_origin_gets_only_safelisted_headers() {
        let next = follow(
            &url("http://a.test/x"),
            302,
            url("http://b.test/y"),
            Method::GET,
            headers(&SENT),
            None,
        )
        .expect("followed");
        let mut kept: Vec<&str> = next.headers.keys().map(HeaderName::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["accept", "user-agent"]);
        // The same origin keeps them all; another port is another origin.
        let same = follow(
            &url("http://a.test/x"),
            307,
            url("http://a.test/z"),
            Method::GET,
            headers(&SENT),
            None,
        )
        .expect("followed");
        assert_eq!(same.headers.len(), SENT.len());
        let port = follow(
            &url("http://a.test/x"),
            301,
            url("http://a.test:81/z"),
            Method::GET,
            headers(&SENT),
            None,
        )
        .expect("followed");
        assert_eq!(port.headers.len(), 2);
    }

    #[test]
    fn bodies_are_resent_only_to_the_same_origin() {
        let body = Some(b"{\"secret\":1}".to_vec());
        for status in [307, 308] {
            let refused = follow(
                &url("http://a.test/x"),
                status,
                url("http://b.test/y"),
                Method::POST,
                HeaderMap::new(),
                body.clone(),
            )
            .expect_err("a body to another origin");
            assert_eq!(refused.code, HttpErrorCode::Denied);
            assert!(refused.message.contains("request body"), "{refused}");
            let same = follow(
                &url("http://a.test/x"),
                status,
                url("http://a.test/y"),
                Method::PUT,
                HeaderMap::new(),
                body.clone(),
            )
            .expect("same origin");
            assert_eq!((same.method, same.body), (Method::PUT, body.clone()));
        }
        // A 303 (and a 302 of a POST) drops the body and becomes a GET: it may cross.
        for status in [302, 303] {
            let next = follow(
                &url("http://a.test/x"),
                status,
                url("http://b.test/y"),
                Method::POST,
                headers(&[("content-type", "application/json")]),
                body.clone(),
            )
            .expect("a GET");
            assert_eq!((next.method, next.body), (Method::GET, None));
            assert!(next.headers.is_empty());
        }
    }

    #[test]
    fn https_is_never_followed_down_to_http() {
        let refused = follow(
            &url("https://a.test/x"),
            301,
            url("http://a.test/x"),
            Method::GET,
            HeaderMap::new(),
            None,
        )
        .expect_err("a downgrade");
        assert_eq!(refused.code, HttpErrorCode::Denied);
        assert!(refused.message.contains("https to http"), "{refused}");
        assert!(
            follow(
                &url("http://a.test/x"),
                301,
                url("https://a.test/x"),
                Method::GET,
                HeaderMap::new(),
                None,
            )
            .is_ok()
        );
    }
}
