//! Authentication as ArangoDB does it: a JWT signed with the server's secret (HS256,
//! `Authorization: bearer <token>`), or HTTP basic auth as `root` with the root password.
//! When either is configured, every request without valid credentials gets 401 with
//! errorNum 11; with neither, the server is open (it binds 127.0.0.1 by default, and
//! `ferry serve` refuses another address without `--allow-unauthenticated`). Failed logins
//! are logged and backed off per peer ([`super::backoff`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use super::backoff::Backoff;
use super::envelope::ApiError;
use crate::secret::Secret;
use crate::{Error, ErrorNum, Result};

/// The credentials a server accepts.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub jwt_secret: Option<Secret>,
    pub root_password: Option<Secret>,
}

/// Reads a secret from a file: its content without the trailing newline.
pub fn read_secret_file(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(Error::BadParameter(format!(
            "{}: the secret file is empty",
            path.display()
        )));
    }
    Ok(Secret::new(value))
}

impl Auth {
    pub fn is_enabled(&self) -> bool {
        self.jwt_secret.is_some() || self.root_password.is_some()
    }

    /// Whether an `Authorization` header value carries valid credentials.
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        if !self.is_enabled() {
            return true;
        }
        let Some(value) = authorization else {
            return false;
        };
        let Some((scheme, credentials)) = value.trim().split_once(' ') else {
            return false;
        };
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => self
                .jwt_secret
                .as_ref()
                .is_some_and(|s| valid_jwt(credentials.trim(), s.expose().as_bytes())),
            "basic" => self
                .root_password
                .as_ref()
                .is_some_and(|p| valid_basic(credentials.trim(), p.expose())),
            _ => false,
        }
    }
}

/// An HS256 JWT with a valid signature, not expired and already valid. ArangoDB's tokens
/// need not carry `exp`; when `exp` or `nbf` is there it must be a number (a string is
/// refused, not ignored), and it is checked to the second, without leeway.
fn valid_jwt(token: &str, secret: &[u8]) -> bool {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let mut rules = Validation::new(Algorithm::HS256);
    rules.required_spec_claims.clear();
    rules.validate_nbf = true;
    rules.leeway = 0;
    let Ok(key) = DecodingKey::from_secret(secret) else {
        return false;
    };
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &rules).is_ok()
}

/// `base64(root:<password>)`, compared through digests so the time taken says nothing.
fn valid_basic(credentials: &str, password: &str) -> bool {
    let Some(decoded) = STANDARD
        .decode(credentials)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return false;
    };
    let Some((user, given)) = decoded.split_once(':') else {
        return false;
    };
    user == "root" && Sha256::digest(given.as_bytes()) == Sha256::digest(password.as_bytes())
}

/// What the middleware holds: the credentials, and the failed logins per peer.
#[derive(Debug)]
pub struct Gate {
    auth: Auth,
    backoff: Backoff,
}

impl Gate {
    pub fn new(auth: Auth) -> Self {
        Gate {
            auth,
            backoff: Backoff::default(),
        }
    }
}

/// The scheme of an `Authorization` value, as a log may show it: never the credentials.
fn scheme(value: &str) -> &'static str {
    match value.split_whitespace().next().map(str::to_ascii_lowercase) {
        Some(s) if s == "basic" => "basic",
        Some(s) if s == "bearer" => "bearer",
        _ => "other",
    }
}

/// The middleware: refuses requests without valid credentials; a request that brings
/// wrong ones is a failed login (logged, and its peer backed off).
pub async fn require(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let given = request.headers().get(axum::http::header::AUTHORIZATION);
    let attempt = gate.auth.is_enabled() && given.is_some();
    let header = given.and_then(|v| v.to_str().ok());
    let peer = (request.extensions().get::<ConnectInfo<SocketAddr>>()).map(|c| c.0.ip());
    if attempt && let Some(peer) = peer {
        let wait = gate.backoff.wait(peer);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
    if gate.auth.allows(header) {
        if attempt && let Some(peer) = peer {
            gate.backoff.succeeded(peer);
        }
        return next.run(request).await;
    }
    if attempt {
        let scheme = scheme(header.unwrap_or_default());
        match peer {
            Some(peer) => {
                let (failures, backoff) = gate.backoff.failed(peer);
                let backoff_ms = backoff.as_millis() as u64;
                tracing::warn!(%peer, scheme, failures, backoff_ms, "failed login");
            }
            None => tracing::warn!(scheme, "failed login"),
        }
    }
    ApiError::new(
        ErrorNum::Forbidden,
        "not authorized to execute this request",
    )
    .with_status(401)
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};

    fn sign(header: &str, payload: &str, secret: &[u8]) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let p = URL_SAFE_NO_PAD.encode(payload);
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("key");
        mac.update(format!("{h}.{p}").as_bytes());
        format!(
            "{h}.{p}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    #[test]
    fn jwt_rules() {
        let hs = r#"{"alg":"HS256","typ":"JWT"}"#;
        let ok = sign(hs, r#"{"iss":"arangodb","server_id":"x"}"#, b"s3cret");
        assert!(valid_jwt(&ok, b"s3cret"));
        assert!(!valid_jwt(&ok, b"other"));
        assert!(!valid_jwt(
            &sign(r#"{"alg":"none"}"#, "{}", b"s3cret"),
            b"s3cret"
        ));
        assert!(!valid_jwt(&sign(hs, r#"{"exp":1}"#, b"s3cret"), b"s3cret"));
        assert!(valid_jwt(
            &sign(hs, r#"{"exp":99999999999}"#, b"s3cret"),
            b"s3cret"
        ));
        assert!(!valid_jwt("a.b", b"s3cret"));
        assert!(!valid_jwt(&format!("{ok}x"), b"s3cret"));
        assert!(!valid_jwt(
            &sign(hs, r#"{"nbf":99999999999}"#, b"s3cret"),
            b"s3cret"
        ));
        assert!(valid_jwt(&sign(hs, r#"{"nbf":1}"#, b"s3cret"), b"s3cret"));
    }

    /// A claim that is there but not a number is no claim to ignore: a token saying
    /// `"exp": "1"` was meant to expire, and one saying `"nbf": "99999999999"` to wait.
    #[test]
    fn jwt_time_claims_that_are_strings_are_refused() {
        let hs = r#"{"alg":"HS256","typ":"JWT"}"#;
        for claims in [
            r#"{"exp":"1"}"#,
            r#"{"exp":"99999999999"}"#,
            r#"{"nbf":"1"}"#,
            r#"{"nbf":"99999999999"}"#,
            r#"{"exp":null}"#,
            r#"{"exp":-1}"#,
            r#"{"exp":[99999999999]}"#,
        ] {
            assert!(
                !valid_jwt(&sign(hs, claims, b"s3cret"), b"s3cret"),
                "{claims}"
            );
        }
        assert!(valid_jwt(
            &sign(hs, r#"{"exp":99999999999.5,"nbf":1}"#, b"s3cret"),
            b"s3cret"
        ));
    }

    #[test]
    fn basic_rules() {
        let auth = Auth {
            jwt_secret: None,
            root_password: Some(Secret::new("pw")),
        };
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        assert!(auth.allows(Some(&basic("root:pw"))));
        assert!(!auth.allows(Some(&basic("root:px"))));
        assert!(!auth.allows(Some(&basic("admin:pw"))));
        assert!(!auth.allows(None));
        assert!(!auth.allows(Some("Bearer x.y.z")));
        assert!(Auth::default().allows(None));
    }
}
