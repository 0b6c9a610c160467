//! Builds the HTTP application and serves it. Tests call [`Application::build`]
//! with port 0 and a fresh database.

use crate::config::{Limits, Settings};
use app::server::assets::{self, Assets};
use app::server::clock::Clock;
use app::server::compress;
use app::server::crypto::SecretBox;
use app::server::db::{self, Db};
use app::server::password::Passwords;
use app::server::services::{housekeeping, keys};
use app::server::{backchannel, export, guard, health, page_cache, provider, AppState};
use app::{shell, App};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{middleware, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::{field::Empty, Span};

/// The router with every guard in place.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            guard::content_security_policy();
        }
    };
    let files = std::sync::Arc::new(assets::Files::load(
        &state.leptos_options,
        Assets::current(),
    ));
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), shell)
        .route(app::routes::ADMIN_AUDIT_CSV, get(export::audit_csv))
        .route(
            app::routes::OIDC_AUTHORIZE,
            get(provider::authorize_get).post(provider::authorize_post),
        )
        .route(
            app::routes::OIDC_LOGOUT,
            get(provider::logout_get).post(provider::logout_post),
        )
        .route(app::routes::OIDC_CONTINUE, get(provider::continue_get))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, |_| shell()))
        // Outermost last: the request's span, the Japanese page for a
        // refusal, the time and body limits, compression, the pages held
        // for visitors without cookies, the cross-site check, the client's
        // address, the throttle by that address, the
        // session, the page guard that needs the session, then the menu
        // held by what it shows.
        // Only the menu's render is held: the layers outside resolved and
        // checked the session for this very request.
        .layer(middleware::from_fn_with_state(
            (state.clone(), Default::default()),
            page_cache::serve_menu,
        ))
        .layer(middleware::from_fn(guard::protect_pages))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::load_session,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::throttle,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::resolve_client,
        ))
        .layer(middleware::from_fn(guard::reject_cross_site))
        // The pages anyone may see, for visitors without cookies, from
        // memory: the rest of the guards would pass them untouched.
        .layer(middleware::from_fn_with_state(
            (state.clone(), Default::default()),
            page_cache::serve,
        ))
        // Pages and server functions' answers, whole, by encoders each
        // thread reuses (`server::compress`); what else is compressed
        // (the audit trail's CSV, streamed) is gzipped as it streams. A
        // brotli encoder sets up megabytes of window for every response.
        // The built files are brotli-compressed ahead of time.
        .layer(middleware::from_fn(compress::compress_pages))
        .layer(compress::streamed())
        .layer(RequestBodyLimitLayer::new(guard::MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::from_fn(guard::explain_refusals))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(finished)
                .on_failure(()),
        );
    // The built files and the probes skip all of the above: they need no
    // session, no throttle and no log line, and the files are compressed
    // already. The security headers go on every answer.
    // The provider's endpoints for applications' servers: no session, no
    // per-address throttle (their servers share addresses; the token
    // endpoint throttles failures per client itself).
    let provider_api = Router::new()
        .route(app::routes::OIDC_DISCOVERY, get(provider::discovery))
        .route(app::routes::OIDC_JWKS, get(provider::jwks))
        .route(app::routes::OIDC_TOKEN, post(provider::token))
        .route(app::routes::OIDC_REVOKE, post(provider::revoke))
        .route(app::routes::OIDC_INTROSPECT, post(provider::introspect))
        .route(
            app::routes::OIDC_USERINFO,
            get(provider::userinfo).post(provider::userinfo),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::resolve_client,
        ))
        .layer(RequestBodyLimitLayer::new(guard::MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));
    Router::new()
        .route(app::routes::HEALTHZ, get(health::live))
        .route(app::routes::READYZ, get(health::ready))
        .route(
            &format!("/{}/{{*file}}", state.leptos_options.site_pkg_dir),
            get(
                move |axum::extract::Path(file): axum::extract::Path<String>,
                      headers: axum::http::HeaderMap| async move {
                    files.respond(&file, &headers)
                },
            ),
        )
        .merge(provider_api)
        .merge(pages)
        .layer(middleware::from_fn(guard::security_headers))
        .layer(middleware::from_fn(track))
        .with_state(state)
}

/// Counts each answer by its route's pattern, and times it (`/metrics`).
/// A catch-all's own path is used only for the server functions, a fixed
/// set of static names: a client's made-up path never becomes a series of
/// its own. The label is made before the request runs, once, and shared by
/// both series.
async fn track(
    matched: Option<axum::extract::MatchedPath>,
    req: Request<Body>,
    next: middleware::Next,
) -> Response {
    let route: app::server::metrics::SharedString = match matched.as_ref().map(|m| m.as_str()) {
        Some(pattern) if pattern.starts_with("/api/") && pattern.contains("{*") => {
            let known = server_functions().get(req.uri().path()).copied();
            known.unwrap_or("/api/(unknown)").into()
        }
        Some(pattern) => std::sync::Arc::<str>::from(pattern).into(),
        None => "(other)".into(),
    };
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    app::server::metrics::request(route, res.status().as_u16(), started.elapsed());
    res
}

/// The paths of the server functions: the only paths under the catch-all
/// that name a series of their own.
fn server_functions() -> &'static std::collections::HashSet<&'static str> {
    static PATHS: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect()
    })
}

/// This process's Prometheus recorder, installed on first use (tests start
/// many applications in one process; the metrics are the process's).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                // Histograms with buckets (not summaries): they add up
                // across instances. From 1 ms to 10 s.
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .expect("the buckets are not empty")
                .install_recorder()
                .expect("no other metrics recorder is installed");
            app::server::metrics::describe();
            handle
        })
        .clone()
}

/// `/metrics` in the Prometheus text format, on a listener of its own
/// (`AUTOBANK_METRICS_ADDR`), never behind the proxy. The gauges are read
/// when scraped.
fn metrics_router(state: AppState) -> Router {
    let handle = metrics_handle();
    Router::new().route(
        "/metrics",
        get(move || {
            let (handle, state) = (handle.clone(), state.clone());
            async move {
                let (running, waiting) = state.passwords.queue();
                app::server::metrics::hash_queue(running, waiting);
                let pool = state.db.pool();
                app::server::metrics::pool(pool.size(), pool.num_idle());
                handle.run_upkeep();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    )
}

/// One span per request: every log line of the request carries its id.
/// `user_id` is filled in by the session guard; the query string is left
/// out (it is the user's, and a return path is no one's business here).
fn request_span(req: &Request<Body>) -> Span {
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %format!("{:016x}", rand::random::<u64>()),
        user_id = Empty,
        status = Empty,
        latency_ms = Empty,
    )
}

fn finished(res: &Response, latency: Duration, span: &Span) {
    span.record("status", res.status().as_u16());
    span.record("latency_ms", latency.as_millis() as u64);
    tracing::info!("finished");
}

/// A bound, not yet running server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    audit_retention: Duration,
    /// Whether [`keys::reseal_legacy`] ran at build; if not, `run` retries.
    resealed: bool,
    /// Where `/metrics` is served, if anywhere.
    metrics: Option<TcpListener>,
}

impl Application {
    /// Binds `addr` (port 0 picks a free one) over an open database.
    /// `secrets` are the keys with the MAC key the database keeps, as
    /// [`open_keyring`] gives them.
    pub async fn build(
        options: LeptosOptions,
        db: Db,
        secrets: SecretBox,
        trusted_proxies: Vec<IpAddr>,
        addr: SocketAddr,
        limits: Limits,
        issuer: Option<String>,
    ) -> anyhow::Result<Self> {
        Assets::load(&options)
            .map_err(anyhow::Error::msg)?
            .install();
        // Before serving: TOTP secrets sealed the old way, sealed again
        // under their purpose (nothing to do after the first start). A
        // database that is away does not stop the start: `run` tries again.
        let resealed = match keys::reseal_legacy(&db, &secrets).await {
            Ok(_) => true,
            Err(err) if db::is_unavailable(&err) => {
                tracing::warn!(error = %err, "cannot reseal secrets yet; will retry");
                false
            }
            Err(err) => return Err(err.into()),
        };
        let passwords =
            tokio::task::spawn_blocking(move || Passwords::with_limits(limits.hashes)).await?;
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let issuer = match issuer {
            Some(issuer) => Some(issuer),
            // Development and tests: this instance's own loopback URL.
            None if local.ip().is_loopback() => Some(format!("http://{local}")),
            None => {
                tracing::warn!("AUTOBANK_ISSUER is not set: the OpenID Connect provider is off");
                None
            }
        };
        let state = AppState::from(app::server::state::Shared {
            leptos_options: options,
            db,
            passwords,
            secrets,
            trusted_proxies: trusted_proxies.into(),
            clock: Clock::system(),
            throttle: std::sync::Arc::new(app::server::state::throttle(
                limits.posts_per_minute,
                limits.post_burst,
            )),
            issuer: issuer.map(Into::into),
            token_throttle: std::sync::Arc::new(app::server::state::throttle(
                app::server::provider::CLIENT_FAILURES_PER_MINUTE,
                app::server::provider::CLIENT_FAILURES_BURST,
            )),
            portal: Default::default(),
        });
        Ok(Self {
            router: router(state.clone(), limits.request_timeout),
            listener,
            state,
            audit_retention: limits.audit_retention,
            resealed,
            metrics: None,
        })
    }

    /// Serves `/metrics` on `addr` too (port 0 picks a free one).
    pub async fn with_metrics(mut self, addr: SocketAddr) -> anyhow::Result<Self> {
        metrics_handle();
        self.metrics = Some(TcpListener::bind(addr).await?);
        Ok(self)
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tokio::spawn(sweep(self.state.clone(), self.audit_retention));
        tokio::spawn(backchannel::run(self.state.clone()));
        if !self.resealed {
            tokio::spawn(reseal_when_ready(self.state.clone()));
        }
        if let Some(listener) = self.metrics {
            let metrics = metrics_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %err, "the metrics listener stopped");
                }
            });
        }
        // Without TCP_NODELAY, a response whose head and body go out in
        // two writes waits for the client's delayed ACK (40 ms on Linux)
        // on every reused connection.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        Ok(())
    }
}

/// Now and then: deletes what has expired (`housekeeping`) and forgets
/// addresses the throttle has not seen lately.
async fn sweep(state: AppState, audit_retention: Duration) {
    let retention = audit_retention.as_secs().min(i64::MAX as u64) as i64;
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        state.throttle.forget_idle();
        match housekeeping::sweep(&state, retention).await {
            Ok(swept) => tracing::debug!(?swept, "swept"),
            Err(err) => tracing::warn!(error = %err, "sweep failed; will retry"),
        }
    }
}

/// Seals old-format secrets again once the database answers: every 2
/// seconds until it does.
async fn reseal_when_ready(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        match keys::reseal_legacy(&state.db, &state.secrets).await {
            Ok(_) => return,
            Err(err) => tracing::warn!(error = %err, "cannot reseal secrets yet; will retry"),
        }
    }
}

/// `secrets` with the MAC key the database keeps (`keys::open_keyring`),
/// waiting while the database is away as [`open_database`] does.
pub async fn open_keyring(db: &Db, secrets: &SecretBox) -> anyhow::Result<SecretBox> {
    loop {
        match keys::open_keyring(db, secrets).await {
            Ok(secrets) => return Ok(secrets),
            Err(keys::KeyringError::Db(err)) if db::is_unavailable(&err) => {
                tracing::warn!(error = %err, "cannot read the keyring yet; will retry");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Opens the database for the server: retries while it is away, so a
/// server started before its database comes up by itself.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let mut delay = Duration::from_millis(500);
    loop {
        match Db::connect(&settings.database_url).await {
            Ok(db) => return Ok(db),
            Err(err) if db::is_unavailable(&err) => {
                tracing::warn!(error = %err, "database not reachable; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(err) if db::is_tls_failure(&err) => anyhow::bail!(
                "cannot open a TLS connection to the database: {err}. \
                 Check sslmode and sslrootcert in DATABASE_URL and the server's certificate."
            ),
            Err(err) => return Err(err.into()),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
