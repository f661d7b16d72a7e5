//! Langfuse's public ingestion API, the part the block uses: one `trace-create` event per
//! record in a `POST /api/public/ingestion` batch, authenticated with HTTP Basic (public key
//! as user, secret key as password), and the `207 Multi-Status` answer read into successes
//! and errors. No host needed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

/// The ingestion URL of a Langfuse host (`https://cloud.langfuse.com` →
/// `https://cloud.langfuse.com/api/public/ingestion`).
pub fn ingestion_url(host: &str) -> String {
    format!("{}/api/public/ingestion", host.trim_end_matches('/'))
}

/// The `Authorization` header value for a key pair.
pub fn basic_auth(public_key: &str, secret_key: &str) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{public_key}:{secret_key}"))
    )
}

/// Why `host` may not receive the keys: it must be `https`, or `http` to a loopback host
/// (`localhost`, `127.x.x.x`, `[::1]`); `None` when it may.
pub fn host_problem(host: &str) -> Option<String> {
    let Some((scheme, rest)) = host.split_once("://") else {
        return Some(format!("host {host:?} is not a URL (https://...)"));
    };
    if scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, after)| after);
    let name = if authority.starts_with('[') {
        authority
            .split_once(']')
            .map_or(authority, |(v6, _)| v6)
            .trim_start_matches('[')
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    if scheme.eq_ignore_ascii_case("http") && loopback {
        return None;
    }
    Some(format!(
        "host {host:?} must use https (plain http only to a loopback host), so the keys are not \
         sent in clear text"
    ))
}

/// What one trace holds.
pub struct Trace<'a> {
    /// The trace id (the run's), so a record's trace is one Langfuse trace however often it
    /// is sent.
    pub id: &'a str,
    /// The pipeline step sending it: two Langfuse steps of a run send two events.
    pub step: u32,
    /// Its name.
    pub name: &'a str,
    /// The event's time, RFC 3339.
    pub timestamp: &'a str,
    /// The input shown for the trace.
    pub input: Value,
    /// The output shown for the trace.
    pub output: Value,
    /// Extra metadata.
    pub metadata: Map<String, Value>,
    /// Tags.
    pub tags: &'a [String],
}

/// The batch body: one `trace-create` event whose id is derived from the trace's and the
/// step's, so a resent batch is taken once and two steps' events do not collide.
pub fn batch(trace: &Trace<'_>) -> Value {
    json!({
        "batch": [{
            "id": format!("{}-{}-trace-create", trace.id, trace.step),
            "timestamp": trace.timestamp,
            "type": "trace-create",
            "body": {
                "id": trace.id,
                "timestamp": trace.timestamp,
                "name": trace.name,
                "input": trace.input,
                "output": trace.output,
                "metadata": trace.metadata,
                "tags": trace.tags,
            },
        }],
        "metadata": {"sdk_name": "blockforge", "batch_size": 1},
    })
}

/// Reads the answer to a batch: `Ok` with the number of events taken, or why none was.
pub fn read_answer(status: u16, body: &[u8]) -> Result<usize, String> {
    let text = String::from_utf8_lossy(body);
    if !(200..300).contains(&status) {
        let shown: String = text.chars().take(300).collect();
        return Err(format!("the ingestion endpoint answered {status}: {shown}"));
    }
    // A 2xx that is not the ingestion answer (a proxy's page, say) took nothing known.
    let not_ingestion = || {
        let shown: String = text.chars().take(300).collect();
        format!("the ingestion endpoint answered {status} without the ingestion answer: {shown}")
    };
    let answer: Value = serde_json::from_slice(body).map_err(|_| not_ingestion())?;
    let Some(successes) = answer["successes"].as_array() else {
        return Err(not_ingestion());
    };
    let errors = answer["errors"].as_array().cloned().unwrap_or_default();
    if let Some(first) = errors.first() {
        let message = first["message"]
            .as_str()
            .or_else(|| first["error"].as_str())
            .unwrap_or("no message");
        return Err(format!(
            "the ingestion endpoint refused the event ({}): {message}",
            first["status"]
        ));
    }
    if successes.is_empty() {
        return Err(format!(
            "the ingestion endpoint answered {status} and took no event"
        ));
    }
    Ok(successes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_has_one_trace_event_in_langfuse_shape() {
        let mut metadata = Map::new();
        metadata.insert("step".to_owned(), json!(2));
        let tags = vec!["web".to_owned()];
        let body = batch(&Trace {
            id: "t-1",
            step: 3,
            name: "qa",
            timestamp: "2026-12-04T16:00:00.000Z",
            input: json!({"url": "u"}),
            output: json!("answer"),
            metadata,
            tags: &tags,
        });
        let event = &body["batch"][0];
        assert_eq!(event["type"], "trace-create");
        assert_eq!(event["id"], "t-1-3-trace-create");
        assert_eq!(event["body"]["id"], "t-1");
        assert_eq!(event["body"]["input"], json!({"url": "u"}));
        assert_eq!(event["body"]["output"], "answer");
        assert_eq!(event["body"]["metadata"]["step"], 2);
        assert_eq!(event["body"]["tags"], json!(["web"]));
        assert_eq!(
            ingestion_url("https://lf.test/"),
            "https://lf.test/api/public/ingestion"
        );
        assert_eq!(basic_auth("pk", "sk"), "Basic cGs6c2s=");
    }

    #[test]
    fn answers_are_read() {
        let ok = br#"{"successes": [{"id": "e", "status": 201}], "errors": []}"#;
        assert_eq!(read_answer(207, ok), Ok(1));
        let refused =
            br#"{"successes": [], "errors": [{"id": "e", "status": 400, "message": "bad body"}]}"#;
        let why = read_answer(207, refused).expect_err("refused");
        assert!(why.contains("400") && why.contains("bad body"), "{why}");
        let why = read_answer(401, b"{\"message\": \"Invalid credentials\"}").expect_err("401");
        assert!(
            why.contains("401") && why.contains("Invalid credentials"),
            "{why}"
        );
        for not_ingestion in [&b""[..], b"<html>ok</html>", b"{}", b"{\"errors\": []}"] {
            let why = read_answer(200, not_ingestion).expect_err("not the ingestion answer");
            assert!(why.contains("without the ingestion answer"), "{why}");
        }
        let why = read_answer(207, br#"{"successes": [], "errors": []}"#).expect_err("none");
        assert!(why.contains("took no event"), "{why}");
    }

    #[test]
    fn keys_go_over_https_or_to_loopback_only() {
        for allowed in [
            "https://cloud.langfuse.com",
            "HTTPS://lf.test:8443/",
            "http://127.0.0.1:3000",
            "http://localhost:3000/",
            "http://[::1]:3000",
        ] {
            assert_eq!(host_problem(allowed), None, "{allowed}");
        }
        for refused in [
            "http://lf.example.com",
            "http://127.0.0.1.evil.net",
            "http://localhost@evil.net",
            "ftp://127.0.0.1",
            "lf.example.com",
        ] {
            assert!(host_problem(refused).is_some(), "{refused}");
        }
    }
}
