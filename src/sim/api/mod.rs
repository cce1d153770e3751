//! The simulator's HTTP face: routes, the per-request frame (request id, latency,
//! logging) and the guard every route passes (count, IP allowlist, rate limit,
//! bearer token), mapping HTTP onto the account rules in `state/`.
//!
//! Decision order for a request, the same on every route: it is counted, then the
//! simulated client IP is checked against the allowlist (403), then the bearer token
//! is checked (401), then its rate-limit class is charged (429), then the body or
//! query is validated (400) and the business rules run. Limits are per client account
//! (octopus-api.md section 6), so only a request the account can be identified by
//! consumes its quota: a request with no or a bad token gets 401 and charges nothing,
//! and `/auth/login` and `/auth/refresh` charge their class only once the credentials
//! or the refresh token are valid (a failed login is 400/401, never 429). Handlers take their body,
//! path and query as `Result`s so that a rejection still yields the Octopus envelope
//! (never axum's plain-text answers) and the request is still counted.
//!
//! This file holds the router, the frame, the guard and the handlers; `input.rs`
//! reads bodies, order fields and list parameters.

mod input;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Scenario;
use super::error::ApiError;
use super::receiver::{self, Receiver};
use super::state::{
    RateClass, SimState, categories_json, currencies_json, product_by_id, products_json,
};
use crate::ksuid;
use input::{
    ORDER_SORT_FIELDS, PRODUCT_SORT_FIELDS, PRODUCTS_LIMITS, TRANSACTION_SORT_FIELDS, apply_sort,
    json_body, non_empty_str, order_fields, page_params, page_params_within, positive_int,
    query_map, sort_param,
};

/// Request bodies above this are refused (413).
const BODY_LIMIT: usize = 1024 * 1024;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the router's handlers share: the account, the injected latency and the
/// reference webhook receiver.
#[derive(Clone)]
pub(crate) struct App {
    state: Arc<Mutex<SimState>>,
    latency: Duration,
    receiver: Receiver,
    /// How long an asynchronous order stays `PENDING`: uniform in this range.
    async_delay: (Duration, Duration),
    /// API requests seen, for [`Scenario::Flaky`].
    flaky_counter: Arc<std::sync::atomic::AtomicU64>,
}

impl App {
    /// Wraps a fresh account and its reference receiver.
    pub(crate) fn new(
        state: SimState,
        latency: Duration,
        receiver: Receiver,
        async_delay: (Duration, Duration),
    ) -> Self {
        App {
            state: Arc::new(Mutex::new(state)),
            latency,
            receiver,
            async_delay,
            flaky_counter: Arc::default(),
        }
    }

    /// In [`Scenario::Flaky`], every third API request (the 3rd, 6th, …) gets a 5xx
    /// in the error envelope, in turn 500, 502, 503, 504, before anything else
    /// happens (no effect, no quota charged): the simulator's choice of share and
    /// rule, so that retry code is exercised predictably.
    fn flaky_failure(&self) -> Option<ApiError> {
        if self.lock().scenario() != Scenario::Flaky {
            return None;
        }
        let n = self
            .flaky_counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        if !n.is_multiple_of(3) {
            return None;
        }
        let status = [500, 502, 503, 504][((n / 3 - 1) % 4) as usize];
        Some(ApiError::for_status(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        ))
    }

    /// The reference webhook receiver.
    pub(crate) fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// Locks the account. A poisoned lock is still used: the state stays consistent
    /// because no handler panics while holding it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts the request, then applies the allowlist and, where the route needs it,
    /// the bearer token and then the rate limit. Login and refresh are charged by
    /// their handlers, once the credentials are known to be the account's.
    fn guard(&self, route: Route, headers: &HeaderMap) -> Result<(), ApiError> {
        let mut st = self.lock();
        st.count(route.key());
        if !st.ip_allowed() {
            return Err(ApiError::ip_forbidden());
        }
        if route.needs_bearer() {
            st.authorize(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))?;
            if let Some(class) = route.class() {
                st.rate_check(class, Instant::now())?;
            }
        }
        Ok(())
    }
}

/// The routes the simulator serves; the key is what [`super::SimStats`] counts under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Login,
    Refresh,
    Logout,
    Wallets,
    Currencies,
    Transactions,
    CreateOrder,
    ListOrders,
    GetOrder,
    Charges,
    Products,
    GetProduct,
    Categories,
    GetTransaction,
}

impl Route {
    fn key(self) -> &'static str {
        match self {
            Route::Login => "POST /auth/login",
            Route::Refresh => "POST /auth/refresh",
            Route::Logout => "POST /auth/logout",
            Route::Wallets => "GET /api/v1/wallets",
            Route::Currencies => "GET /api/v1/currencies",
            Route::Transactions => "GET /api/v1/transactions",
            Route::CreateOrder => "POST /api/v1/orders",
            Route::ListOrders => "GET /api/v1/orders",
            Route::GetOrder => "GET /api/v1/orders/:id",
            Route::Charges => "POST /api/v1/products/:id/charges",
            Route::Products => "GET /api/v1/products",
            Route::GetProduct => "GET /api/v1/products/:id",
            Route::Categories => "GET /api/v1/categories",
            Route::GetTransaction => "GET /api/v1/transactions/:id",
        }
    }

    /// The rate-limit class; logout belongs to none of the documented classes.
    fn class(self) -> Option<RateClass> {
        match self {
            Route::Login => Some(RateClass::Login),
            Route::Refresh => Some(RateClass::Refresh),
            Route::Logout => None,
            Route::Wallets
            | Route::Currencies
            | Route::Transactions
            | Route::ListOrders
            | Route::GetOrder
            | Route::Products
            | Route::GetProduct
            | Route::Categories
            | Route::GetTransaction => Some(RateClass::Get),
            Route::CreateOrder => Some(RateClass::Orders),
            Route::Charges => Some(RateClass::Charges),
        }
    }

    fn needs_bearer(self) -> bool {
        !matches!(self, Route::Login | Route::Refresh)
    }
}

/// The simulator's router, with its frame layer and body limit, plus the reference
/// webhook receiver (outside the frame: no injected latency, no `X-Request-Id`, its
/// own log line).
pub(crate) fn router(app: App) -> Router {
    let receiver = Router::new()
        .route(
            receiver::PATH,
            post(webhook_receiver).fallback(receiver_wrong_method),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app.clone());
    api_router(app).merge(receiver)
}

/// The simulated Octopus API.
fn api_router(app: App) -> Router {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/api/v1/wallets", get(wallets))
        .route("/api/v1/currencies", get(currencies))
        .route("/api/v1/transactions", get(transactions))
        .route("/api/v1/transactions/{id}", get(get_transaction))
        .route("/api/v1/products", get(products))
        .route("/api/v1/products/{id}", get(get_product))
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/orders", post(create_order).get(list_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/products/{id}/charges", post(charges))
        .route("/ip", get(ip))
        .fallback(unmatched)
        .method_not_allowed_fallback(unmatched)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), frame))
        .with_state(app)
}

/// Around every request: picks the request id, injects latency, guarantees the error
/// envelope, sets `X-Request-Id` and logs one line (never headers or bodies).
async fn frame(State(app): State<App>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| ksuid::is_compatible(v))
        .map_or_else(ksuid::new, str::to_string);
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    let api = path.starts_with("/api/") || path.starts_with("/auth/");
    let flaky = if api { app.flaky_failure() } else { None };
    let mut resp = match flaky {
        Some(e) => {
            app.lock().count(&format!("{method} (flaky 5xx)"));
            e.into_response()
        }
        None => next.run(req).await,
    };
    if !resp.status().is_success() && !is_json(&resp) {
        resp = ApiError::for_status(resp.status()).into_response();
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert(X_REQUEST_ID, v);
    }
    tracing::info!(
        target: "golive::sim",
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        request_id = %request_id,
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "request"
    );
    resp
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// One page of a list, as a JSON array with the documented pagination headers.
fn paginated(items: Vec<Value>, page: usize, limit: usize) -> Response {
    let total = items.len();
    let pages = total.div_ceil(limit);
    let start = (page - 1).saturating_mul(limit);
    let slice: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let has_more = start.saturating_add(slice.len()) < total;
    let headers = [
        ("x-page", page.to_string()),
        ("x-per-page", limit.to_string()),
        ("x-total-count", total.to_string()),
        ("x-total-pages", pages.to_string()),
        ("x-page-size", slice.len().to_string()),
        ("x-has-more", has_more.to_string()),
    ];
    let mut resp = Json(Value::Array(slice)).into_response();
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

// ---------------------------------------------------------------------------------
// Handlers

type Answer = Result<Response, ApiError>;

/// `POST /auth/login`.
async fn login(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    app.guard(Route::Login, &headers)?;
    let obj = json_body(&headers, body)?;
    let (Some(username), Some(password)) = (
        non_empty_str(&obj, "username"),
        non_empty_str(&obj, "password"),
    ) else {
        return Err(ApiError::validation("Username and password are required"));
    };
    // The quota is charged inside, once the credentials are the account's.
    let data = app.lock().login(username, password)?;
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

/// `POST /auth/refresh`.
async fn refresh(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    app.guard(Route::Refresh, &headers)?;
    let obj = json_body(&headers, body)?;
    let Some(token) = non_empty_str(&obj, "refresh_token") else {
        return Err(ApiError::validation("Refresh token is required"));
    };
    let data = app.lock().refresh(token)?;
    Ok(Json(json!({"success": true, "data": data})).into_response())
}

/// `POST /auth/logout`: revokes every token of the client.
async fn logout(State(app): State<App>, headers: HeaderMap) -> Answer {
    app.guard(Route::Logout, &headers)?;
    app.lock().logout();
    Ok(
        Json(json!({"success": true, "data": {"message": "Successfully logged out"}}))
            .into_response(),
    )
}

/// `GET /api/v1/wallets`.
async fn wallets(State(app): State<App>, headers: HeaderMap) -> Answer {
    app.guard(Route::Wallets, &headers)?;
    let body = app.lock().wallets_json();
    Ok(Json(body).into_response())
}

/// `GET /api/v1/currencies`.
async fn currencies(State(app): State<App>, headers: HeaderMap) -> Answer {
    app.guard(Route::Currencies, &headers)?;
    Ok(Json(currencies_json()).into_response())
}

/// `GET /api/v1/transactions?page&limit&wallet_id`.
async fn transactions(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Answer {
    app.guard(Route::Transactions, &headers)?;
    let q = query_map(query)?;
    let (page, limit) = page_params(&q)?;
    let wallet_id = match q.get("wallet_id") {
        None => None,
        Some(w) => Some(
            w.parse::<i64>()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| ApiError::validation("wallet_id must be a positive integer"))?,
        ),
    };
    let sort = sort_param(&q, TRANSACTION_SORT_FIELDS)?;
    let mut items = app.lock().transactions_json(wallet_id);
    apply_sort(&mut items, sort);
    Ok(paginated(items, page, limit))
}

/// `GET /api/v1/transactions/:id` (path presumed, section 5.3).
async fn get_transaction(
    State(app): State<App>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    app.guard(Route::GetTransaction, &headers)?;
    let not_found = || ApiError::not_found("Transaction not found");
    let id = id
        .ok()
        .and_then(|Path(id)| id.parse::<i64>().ok())
        .ok_or_else(not_found)?;
    let t = app.lock().transaction_json(id).ok_or_else(not_found)?;
    Ok(Json(t).into_response())
}

/// `GET /api/v1/products?page&limit&sort` (`limit` default 10, 1–500).
async fn products(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Answer {
    app.guard(Route::Products, &headers)?;
    let q = query_map(query)?;
    let (page, limit) = page_params_within(&q, PRODUCTS_LIMITS.0, PRODUCTS_LIMITS.1)?;
    let sort = sort_param(&q, PRODUCT_SORT_FIELDS)?;
    let mut items = products_json();
    apply_sort(&mut items, sort);
    Ok(paginated(items, page, limit))
}

/// `GET /api/v1/products/:id`.
async fn get_product(
    State(app): State<App>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    app.guard(Route::GetProduct, &headers)?;
    let product = id
        .ok()
        .and_then(|Path(id)| id.parse::<i64>().ok())
        .and_then(product_by_id)
        .ok_or_else(|| ApiError::not_found("Product not found"))?;
    Ok(Json(product).into_response())
}

/// `GET /api/v1/categories` (400 `INVALID_FEATURE` when vouchers are off).
async fn categories(State(app): State<App>, headers: HeaderMap) -> Answer {
    app.guard(Route::Categories, &headers)?;
    let scenario = app.lock().scenario();
    Ok(Json(categories_json(scenario)?).into_response())
}

/// `POST /api/v1/orders`.
async fn create_order(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    app.guard(Route::CreateOrder, &headers)?;
    let obj = json_body(&headers, body)?;
    let product_id = positive_int(&obj, "product_id")?;
    let mut req = order_fields(&obj, product_id)?;
    req.client_reference = match obj.get("client_reference") {
        None | Some(Value::Null) => None,
        Some(Value::String(r))
            if !r.is_empty() && r.len() <= 255 && r.bytes().all(|b| (0x20..0x7f).contains(&b)) =>
        {
            Some(r.clone())
        }
        Some(_) => {
            return Err(ApiError::validation(
                "client_reference must be 1 to 255 printable ASCII characters",
            ));
        }
    };
    match obj.get("email") {
        None | Some(Value::Null) => {}
        Some(Value::String(e)) if e.len() <= 254 && e.contains('@') => {}
        Some(_) => {
            return Err(ApiError::validation(
                "email must be a valid address of at most 254 characters",
            ));
        }
    }
    let (body, pending) = app.lock().create_order(&req)?;
    if let Some(order_id) = pending {
        schedule_delivery(app.clone(), order_id);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Completes an asynchronous order after a delay drawn uniformly from
/// [`super::SimConfig::async_delay`]. `SimState::deliver` records the `order.*`
/// event, which the delivery task then sends.
fn schedule_delivery(app: App, order_id: i64) {
    let (lo, hi) = app.async_delay;
    let delay = if hi > lo {
        let span = (hi - lo).as_millis().min(u128::from(u64::MAX)) as u64;
        let mut b = [0u8; 8];
        let r = getrandom::fill(&mut b).map_or(0, |()| u64::from_le_bytes(b));
        lo + Duration::from_millis(r % (span + 1))
    } else {
        lo
    };
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        app.lock().deliver(order_id);
    });
}

/// `GET /api/v1/orders?client_reference=…` (at most one) or a page of all orders.
async fn list_orders(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Answer {
    app.guard(Route::ListOrders, &headers)?;
    let q = query_map(query)?;
    let (page, limit) = page_params(&q)?;
    let sort = sort_param(&q, ORDER_SORT_FIELDS)?;
    let mut items = app
        .lock()
        .orders_json(q.get("client_reference").map(String::as_str));
    apply_sort(&mut items, sort);
    Ok(paginated(items, page, limit))
}

/// `GET /api/v1/orders/:id`.
async fn get_order(
    State(app): State<App>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    app.guard(Route::GetOrder, &headers)?;
    let not_found = || ApiError::not_found("Order not found");
    let id = id
        .ok()
        .and_then(|Path(id)| id.parse::<i64>().ok())
        .ok_or_else(not_found)?;
    let order = app.lock().order_json(id).ok_or_else(not_found)?;
    Ok(Json(order).into_response())
}

/// `POST /api/v1/products/:id/charges`: a quote.
async fn charges(
    State(app): State<App>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    app.guard(Route::Charges, &headers)?;
    let product_id = id
        .ok()
        .and_then(|Path(id)| id.parse::<i64>().ok())
        .ok_or_else(|| ApiError::not_found("Product not found"))?;
    let obj = json_body(&headers, body)?;
    let req = order_fields(&obj, product_id)?;
    let quote = app.lock().charges(&req)?;
    Ok(Json(quote).into_response())
}

/// `GET /ip`: the simulated client IP, as text or (`?format=json`) JSON. Not guarded.
async fn ip(
    State(app): State<App>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let ip = {
        let mut st = app.lock();
        st.count("GET /ip");
        st.client_ip()
    };
    let json = query
        .ok()
        .is_some_and(|Query(q)| q.get("format").is_some_and(|f| f == "json"));
    if json {
        Json(json!({"ip": ip.to_string()})).into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{ip}\n"),
        )
            .into_response()
    }
}

/// The stats key of a request no route matched. Unusual methods share one key, so
/// the stats cannot grow without bound.
fn unmatched_key(method: &Method) -> String {
    let name = match *method {
        Method::GET
        | Method::POST
        | Method::PUT
        | Method::PATCH
        | Method::DELETE
        | Method::HEAD
        | Method::OPTIONS => method.as_str(),
        _ => "OTHER",
    };
    format!("{name} (unmatched)")
}

/// Unknown route, or a known path with another method: 404 in the envelope. The
/// topup and eSIM verticals (sections 8.4, 8.5) are documented but not simulated:
/// their paths get a 404 that says so.
async fn unmatched(State(app): State<App>, method: Method, uri: axum::http::Uri) -> ApiError {
    app.lock().count(&unmatched_key(&method));
    let path = uri.path();
    if path.starts_with("/api/v1/topups") {
        ApiError::not_found(
            "Topups (POST /api/v1/topups/orders, /api/v1/topups/charges, ...) are not simulated by golive sim; use the Octopus sandbox",
        )
    } else if path.starts_with("/api/v1/esim") {
        ApiError::not_found(
            "eSIM (POST /api/v1/esim/orders, /api/v1/esim/products, ...) is not simulated by golive sim; use the Octopus sandbox",
        )
    } else {
        ApiError::not_found("Route not found")
    }
}

/// `POST /_receiver/octopus`: the reference webhook receiver. Counted, but not
/// subject to the allowlist, the rate limits or the bearer token.
async fn webhook_receiver(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    app.lock().count(receiver::ROUTE_KEY);
    app.receiver().handle(&headers, body).await
}

/// Any other method on the receiver's path: 405 with `Allow: POST`.
async fn receiver_wrong_method(State(app): State<App>, method: Method) -> Response {
    app.lock().count(&unmatched_key(&method));
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "POST")],
        Json(json!({"received": false, "error": "method not allowed"})),
    )
        .into_response()
}
