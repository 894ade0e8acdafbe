//! ArangoDB's async request API, for every endpoint.
//!
//! A request with `x-arango-async: store` is answered at once with 202 and an
//! `x-arango-async-id` header, and runs in the background; `PUT /_api/job/<id>` then
//! answers 204 while it runs and, once, the stored answer with the same header
//! (ArangoDB's `GeneralServer/CommTask.cpp` and `RestHandler/RestJobHandler.cpp`).
//! `x-arango-async: true` runs it and forgets the answer. Also `GET /_api/job/<id>` (200
//! done, 204 pending), `GET /_api/job/{done,pending}?count=N`, `PUT /_api/job/<id>/cancel`,
//! `DELETE /_api/job/{<id>,all,expired?stamp=S}`. kube-arangodb creates backups this way.
//!
//! Ferry's operations are atomic, so cancel does not interrupt one (ArangoDB's handlers too
//! may finish after a cancel): it answers `{"result": true}` and the answer stays
//! fetchable; transfers are aborted with their own `abort`. Where the answers are kept and
//! for how long: [`super::async_store`].

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body as HttpBody;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::async_store::{AsyncStore, Lookup, Refused, Stored};
use super::envelope::{ApiError, MAX_BODY};
use crate::ErrorNum;

/// The request header that makes a request async, and the answer header with its id.
pub const ASYNC: &str = "x-arango-async";
pub const ASYNC_ID: &str = "x-arango-async-id";

/// Largest answer kept (answers are small JSON documents; a list of many backups is the
/// largest).
const MAX_ANSWER: usize = 64 << 20;

/// Middleware: runs requests marked async in the background.
pub async fn layer(State(store): State<AsyncStore>, request: Request, next: Next) -> Response {
    let keep = match request.headers().get(ASYNC).map(HeaderValue::as_bytes) {
        Some(b"store") => true,
        Some(b"true") => false,
        _ => return next.run(request).await,
    };
    // The body is read before answering: the connection is free once the 202 is sent.
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        let mut response =
            ApiError::bad_parameter(format!("request body larger than {MAX_BODY} bytes"))
                .into_response();
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            HeaderValue::from_static("close"),
        );
        return response;
    };
    let id = match store.accept(keep) {
        Ok(id) => id,
        Err(Refused::QueueFull) => {
            return ApiError::new(
                ErrorNum::QueueFull,
                "too many async requests running or unfetched: fetch or delete results \
                 (PUT or DELETE /_api/job/<id>) and try again",
            )
            .into_response();
        }
    };
    let request = Request::from_parts(parts, HttpBody::from(bytes));
    store.run(id, async move { stored(next.run(request).await).await });
    let mut response = StatusCode::ACCEPTED.into_response();
    if keep {
        response
            .headers_mut()
            .insert(HeaderName::from_static(ASYNC_ID), HeaderValue::from(id));
    }
    response
}

/// An answer read whole, to be replayed.
async fn stored(answer: Response) -> Stored {
    let (parts, body) = answer.into_parts();
    let headers = parts
        .headers
        .iter()
        .filter(|(name, _)| *name != axum::http::header::CONTENT_LENGTH)
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    match axum::body::to_bytes(body, MAX_ANSWER).await {
        Ok(bytes) => Stored::new(parts.status.as_u16(), headers, &bytes),
        Err(e) => {
            let e = ApiError::new(
                ErrorNum::Failed,
                format!("the answer could not be kept: {e}"),
            );
            let body = json!({"error": true, "code": 500, "errorNum": e.num.code(), "errorMessage": e.message});
            Stored::new(
                500,
                vec![("content-type".into(), "application/json".into())],
                body.to_string().as_bytes(),
            )
        }
    }
}

/// A stored answer as sent, with the `x-arango-async-id` header.
fn replay(id: u64, answer: &Stored) -> Response {
    let mut response = Response::new(HttpBody::from(answer.body()));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &answer.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
        .headers_mut()
        .insert(HeaderName::from_static(ASYNC_ID), HeaderValue::from(id));
    response
}

/// `{"result": true}`, as the job API answers (no envelope).
fn result_true() -> Response {
    axum::Json(json!({"result": true})).into_response()
}

fn not_found(id: &str) -> Response {
    ApiError::new(ErrorNum::HttpNotFound, format!("no async job {id}")).into_response()
}

fn bad(message: &str) -> Response {
    ApiError::new(ErrorNum::HttpBadParameter, message).into_response()
}

fn method_not_allowed() -> Response {
    ApiError::new(
        ErrorNum::HttpMethodNotAllowed,
        "the job API takes GET, PUT and DELETE",
    )
    .into_response()
}

/// A job id as ArangoDB reads one (`StringUtils::uint64`: leading digits; none: 0, unknown).
fn job_id(raw: &str) -> u64 {
    let digits: String = raw.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// `/_api/job` without anything after it.
pub async fn no_job(method: Method) -> Response {
    match method {
        Method::GET | Method::PUT | Method::DELETE => bad("expecting /_api/job/<job-id>"),
        _ => method_not_allowed(),
    }
}

/// `/_api/job/<one>`: an id, `done`/`pending` (GET), `all`/`expired` (DELETE).
pub async fn one(
    State(state): State<Arc<AppState>>,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
) -> Response {
    let store = &state.async_jobs;
    let value = params.get("job").map(String::as_str).unwrap_or_default();
    match method {
        Method::PUT => match store.lookup(job_id(value), true) {
            Lookup::Unknown => not_found(value),
            Lookup::Pending => StatusCode::NO_CONTENT.into_response(),
            Lookup::Done(answer) => replay(job_id(value), &answer),
        },
        Method::GET if value.starts_with(|c: char| ('1'..='9').contains(&c)) => {
            match store.lookup(job_id(value), false) {
                Lookup::Unknown => not_found(value),
                Lookup::Pending => StatusCode::NO_CONTENT.into_response(),
                Lookup::Done(_) => StatusCode::OK.into_response(),
            }
        }
        Method::GET => {
            let count = query.get("count").map_or(100, |c| job_id(c) as usize);
            let ids = match value {
                "done" => store.ids(true, count),
                "pending" => store.ids(false, count),
                _ => return bad("expecting /_api/job/done or /_api/job/pending"),
            };
            let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
            axum::Json(ids).into_response()
        }
        Method::DELETE => match value {
            "all" => {
                store.delete(|_, _| true);
                result_true()
            }
            "expired" => {
                let Some(stamp) = query.get("stamp").and_then(|s| s.parse::<f64>().ok()) else {
                    return bad("expecting ?stamp=<unix time> with /_api/job/expired");
                };
                store.delete(|_, created| created < stamp);
                result_true()
            }
            _ => {
                let id = job_id(value);
                match store.delete(|job, _| job == id) {
                    0 => not_found(value),
                    _ => result_true(),
                }
            }
        },
        _ => method_not_allowed(),
    }
}

/// `PUT /_api/job/<id>/cancel`.
pub async fn method(
    State(state): State<Arc<AppState>>,
    Path(params): Path<HashMap<String, String>>,
    method: Method,
) -> Response {
    let value = params.get("job").map(String::as_str).unwrap_or_default();
    let what = params.get("method").map(String::as_str).unwrap_or_default();
    match (method, what) {
        (Method::PUT, "cancel") if state.async_jobs.known(job_id(value)) => result_true(),
        (Method::PUT, "cancel") => not_found(value),
        (Method::PUT, _) => bad("expecting PUT /_api/job/<job-id>/cancel"),
        _ => method_not_allowed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_are_read_as_arangodb_reads_them() {
        assert_eq!(job_id("123"), 123);
        assert_eq!(job_id("12x"), 12);
        assert_eq!(job_id("done"), 0);
        assert_eq!(job_id(""), 0);
        assert_eq!(job_id("99999999999999999999999"), 0);
    }
}
