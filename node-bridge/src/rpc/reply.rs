//! Lenient parsing of JSON-RPC replies (pure: bytes in, value or typed error out).
//!
//! litecoind answers `{"result": …, "error": null, "id": …}` with HTTP 200 on success and the same
//! object with an `error` and HTTP 500 (or 404 for an unknown method) on failure; a batch is an
//! array of such objects. Anything else is an error that names the method and keeps the node's
//! message or an excerpt of the body.

use crate::error::RpcError;
use serde_json::Value;

/// At most this many characters of an unexpected body are quoted in errors.
const EXCERPT: usize = 200;

/// A printable excerpt of a reply body.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT).collect();
    if text.chars().count() > EXCERPT {
        out.push('…');
    }
    out
}

/// Interprets one reply object: the `result` or the node's error.
pub fn parse_object(method: &str, reply: &Value) -> Result<Value, RpcError> {
    let Some(obj) = reply.as_object() else {
        return Err(RpcError::Malformed {
            method: method.to_string(),
            detail: format!(
                "expected a JSON object, got {}",
                excerpt(reply.to_string().as_bytes())
            ),
        });
    };
    match obj.get("error") {
        None | Some(Value::Null) => {}
        Some(err) => {
            let code = err.get("code").and_then(Value::as_i64).unwrap_or(0);
            let message = match err.get("message").and_then(Value::as_str) {
                Some(m) => m.to_string(),
                None => err.to_string(),
            };
            return Err(RpcError::Node {
                method: method.to_string(),
                code,
                message,
            });
        }
    }
    match obj.get("result") {
        Some(v) => Ok(v.clone()),
        None => Err(RpcError::Malformed {
            method: method.to_string(),
            detail: "reply has neither a result nor an error".to_string(),
        }),
    }
}

/// Interprets the HTTP status and body of a single call.
pub fn parse_single(method: &str, status: u16, body: &[u8]) -> Result<Value, RpcError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value @ Value::Object(_)) => match parse_object(method, &value) {
            Ok(v) if status == 200 => Ok(v),
            Ok(_) => Err(RpcError::Http {
                method: method.to_string(),
                status,
                body: excerpt(body),
            }),
            Err(e) => Err(e),
        },
        Ok(other) if status == 200 => Err(RpcError::Malformed {
            method: method.to_string(),
            detail: format!(
                "expected a JSON object, got {}",
                excerpt(other.to_string().as_bytes())
            ),
        }),
        Err(e) if status == 200 => Err(RpcError::Malformed {
            method: method.to_string(),
            detail: format!("not JSON ({e}): {:?}", excerpt(body)),
        }),
        _ => Err(RpcError::Http {
            method: method.to_string(),
            status,
            body: excerpt(body),
        }),
    }
}

/// Interprets a batch reply: one outcome per request id `0..n`, in request order.
pub fn parse_batch(
    methods: &[&str],
    status: u16,
    body: &[u8],
) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
    let label = format!("batch[{}]", methods.join(","));
    let items = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => items,
        Ok(other) => {
            // A whole-batch failure comes back as one object.
            return Err(
                match parse_single(&label, status, other.to_string().as_bytes()) {
                    Err(e) => e,
                    Ok(_) => RpcError::Malformed {
                        method: label,
                        detail: "expected an array of replies".to_string(),
                    },
                },
            );
        }
        Err(e) if status == 200 => {
            return Err(RpcError::Malformed {
                method: label,
                detail: format!("not JSON ({e}): {:?}", excerpt(body)),
            })
        }
        Err(_) => {
            return Err(RpcError::Http {
                method: label,
                status,
                body: excerpt(body),
            })
        }
    };
    let mut out: Vec<Option<Result<Value, RpcError>>> = (0..methods.len()).map(|_| None).collect();
    for item in &items {
        let id = item.get("id").and_then(Value::as_u64);
        let Some(slot) = id
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < out.len())
        else {
            return Err(RpcError::Malformed {
                method: label,
                detail: format!(
                    "reply with unknown id: {}",
                    excerpt(item.to_string().as_bytes())
                ),
            });
        };
        out[slot] = Some(parse_object(methods[slot], item));
    }
    Ok(out
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            r.unwrap_or_else(|| {
                Err(RpcError::Malformed {
                    method: methods[i].to_string(),
                    detail: "no reply for this request in the batch".to_string(),
                })
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_with_null_error() {
        let v = parse_single("getblockcount", 200, br#"{"result":7,"error":null,"id":1}"#);
        assert_eq!(v.unwrap(), Value::from(7));
    }

    #[test]
    fn node_error_keeps_message() {
        let body = br#"{"result":null,"error":{"code":-18,"message":"Requested wallet does not exist or is not loaded"},"id":1}"#;
        let e = parse_single("getbalance", 500, body).unwrap_err();
        assert_eq!(e.node_code(), Some(-18));
        let text = e.to_string();
        assert!(text.contains("getbalance") && text.contains("Requested wallet does not exist"));
    }

    #[test]
    fn garbage_and_truncated_bodies_are_errors() {
        for body in [
            &b"<html>"[..],
            b"{\"result\":1",
            b"",
            b"[1,2]",
            b"{\"id\":1}",
        ] {
            let e = parse_single("getblockcount", 200, body).unwrap_err();
            assert!(e.to_string().contains("getblockcount"), "{e}");
        }
        let e = parse_single("x", 503, b"Work queue depth exceeded").unwrap_err();
        assert!(e.is_transient());
    }

    #[test]
    fn batch_matches_ids() {
        let body = br#"[{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":1},{"result":2,"error":null,"id":0}]"#;
        let r = parse_batch(&["getblockcount", "getblockhash"], 200, body).unwrap();
        assert_eq!(r[0].as_ref().unwrap(), &Value::from(2));
        assert_eq!(r[1].as_ref().unwrap_err().node_code(), Some(-8));
        assert!(parse_batch(&["a", "b"], 200, br#"[{"result":1,"id":0}]"#).unwrap()[1].is_err());
        assert!(parse_batch(&["a"], 200, br#"[{"result":1,"id":9}]"#).is_err());
    }
}
