//! ArangoDB's response envelopes, and reading a request body the way ArangoDB does.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::ErrorNum;
use crate::backup::BackupError;
use crate::error_table::{Operation, error_num};
use crate::jobs::JobError;
use crate::secret::{MAX_SHOWN, shorten};

/// Largest request body accepted; backup requests are small JSON objects.
pub const MAX_BODY: usize = 1 << 20;

/// A failed request: `{"error":true,"code":…,"errorNum":…,"errorMessage":…}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub num: ErrorNum,
    /// What the client is told.
    pub message: String,
    /// The HTTP status, when it is not the one derived from `num`.
    pub status: Option<u16>,
    /// The failure behind it, with its chain of causes, for the log only.
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    pub fn new(num: ErrorNum, message: impl Into<String>) -> Self {
        ApiError {
            num,
            message: message.into(),
            status: None,
            cause: None,
        }
    }

    /// A hot-backup failure in `operation`, numbered by the table.
    pub fn from_backup(e: BackupError, operation: Operation) -> Self {
        let (num, message) = (error_num(e.kind(), operation), e.to_string());
        ApiError {
            cause: Some(Arc::new(e)),
            ..ApiError::new(num, message)
        }
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn bad_parameter(message: impl Into<String>) -> Self {
        ApiError::new(ErrorNum::BadParameter, message)
    }

    fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.num.http_status())
    }
}

/// A job that could not be started.
impl From<JobError> for ApiError {
    fn from(e: JobError) -> Self {
        ApiError {
            num: error_num(e.kind, Operation::StartTransfer),
            message: e.message.clone(),
            status: None,
            cause: Some(Arc::new(e)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "error": true, "code": status, "errorNum": self.num.code(),
            // Whatever the message's source (it may quote the request), the answer is short.
            "errorMessage": shorten(&self.message, MAX_SHOWN),
        });
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (code, axum::Json(body)).into_response()
    }
}

/// `{"error":false,"code":…,"result":…}`.
pub fn success(code: StatusCode, result: Value) -> Response {
    let body = json!({"error": false, "code": code.as_u16(), "result": result});
    (code, axum::Json(body)).into_response()
}

/// A request body: empty, or a JSON object (anything else is errorNum 600).
#[derive(Debug, Default)]
pub struct Body(Map<String, Value>);

impl Body {
    pub fn parse(bytes: &[u8]) -> Result<Self, ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body::default());
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Body(map)),
            Ok(_) => Err(ApiError::new(
                ErrorNum::CorruptedJson,
                "request body must be a JSON object",
            )),
            Err(e) => Err(ApiError::new(
                ErrorNum::CorruptedJson,
                format!("corrupted JSON in request body: {e}"),
            )),
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| !v.is_null())
    }

    fn wrong(name: &str, what: &str) -> ApiError {
        ApiError::bad_parameter(format!("attribute \"{name}\" must be {what}"))
    }

    pub fn string(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Self::wrong(name, "a string")),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<&str, ApiError> {
        self.string(name)?
            .ok_or_else(|| ApiError::bad_parameter(format!("attribute \"{name}\" is required")))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Self::wrong(name, "a boolean")),
        }
    }

    pub fn number(&self, name: &str) -> Result<Option<f64>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(Some)
                .ok_or_else(|| Self::wrong(name, "a non-negative number")),
            Some(_) => Err(Self::wrong(name, "a number")),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<&Value>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(Self::wrong(name, "an object")),
        }
    }
}
