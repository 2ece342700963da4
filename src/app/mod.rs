//! The one place the server is wired: backends → ports → service → endpoints and jobs.
//! Used by `main` and by the tests, so both run the same wiring.

mod backends;
mod connections;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, EndpointExt, Server};

use crate::api;
use crate::config::Config;
use crate::jobs;
use crate::mail::{MailError, Mailer};
use crate::service::{Clock, Service, SettingsError, SystemClock};

pub use backends::{BackendError, Backends};
pub use connections::{ConnectionLimits, GuardedAcceptor};

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A built server: its service and the two listeners' endpoints.
pub struct App {
    pub service: Service,
    pub config: Arc<Config>,
}

/// The listeners of a running server, bound to real ports (port 0 picks a free one).
pub struct Running {
    pub public_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Settings that can not work, found before anything listens.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Service(#[from] SettingsError),
    #[error("SMTP settings: {0}")]
    Mail(#[from] MailError),
}

/// How long one SMTP conversation may take before the mail is retried later.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub fn build(
    config: Config,
    backends: &Backends,
    clock: Arc<dyn Clock>,
) -> Result<App, BuildError> {
    let config = Arc::new(config);
    let mut service = Service::new(backends.ports.clone(), config.clone(), clock)?;
    if let Some(url) = &config.smtp_url {
        let mailer = Mailer::new(url, &config.smtp_from, SMTP_TIMEOUT)?;
        service = service.with_mailer(Arc::new(mailer));
    }
    Ok(App { service, config })
}

/// The generated OpenAPI document, from a service on the memory backend with default
/// settings: no backing service is needed to describe the API.
pub fn spec_json() -> String {
    let config = Arc::new(Config::defaults());
    let service = Service::new(Backends::memory().ports, config, Arc::new(SystemClock))
        .expect("the default settings are valid");
    api::document(service)
}

impl App {
    pub fn public_endpoint(&self) -> impl Endpoint {
        api::public_routes(self.service.clone()).boxed()
    }

    /// Binds both listeners, starts the background jobs unless disabled, and serves until
    /// `shutdown` resolves; in-flight requests then get a grace period to finish.
    pub async fn start(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<Running> {
        let public = GuardedAcceptor::new(
            TcpListener::bind(self.config.listen)
                .into_acceptor()
                .await?,
            ConnectionLimits::from_config(&self.config),
        );
        let admin = TcpListener::bind(self.config.admin_listen)
            .into_acceptor()
            .await?;
        let public_addr = socket_addr(&public)?;
        let admin_addr = socket_addr(&admin)?;
        let jobs = if self.config.no_jobs {
            Vec::new()
        } else {
            jobs::spawn_all(&self.service)
        };
        let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
        let admin_server = Server::new_with_acceptor(admin).run_with_graceful_shutdown(
            api::admin::routes(self.service.clone()),
            async {
                let _ = admin_stopped.await;
            },
            Some(SHUTDOWN_GRACE),
        );
        let admin_task = tokio::spawn(admin_server);
        // On the signal: report not ready, keep serving for the delay (the load balancer
        // notices), then stop accepting and let in-flight requests finish.
        let service = self.service.clone();
        let delay = Duration::from_secs(self.config.shutdown_delay_secs);
        let stop_accepting = async move {
            shutdown.await;
            service.start_draining();
            tracing::info!(delay_secs = delay.as_secs(), "shutdown requested; draining");
            tokio::time::sleep(delay).await;
        };
        let public_server = Server::new_with_acceptor(public).run_with_graceful_shutdown(
            self.public_endpoint(),
            stop_accepting,
            Some(SHUTDOWN_GRACE),
        );
        let handle = tokio::spawn(async move {
            let served = public_server.await;
            for job in jobs {
                job.abort();
            }
            let _ = stop_admin.send(());
            let _ = admin_task.await;
            served
        });
        Ok(Running {
            public_addr,
            admin_addr,
            handle,
        })
    }
}

fn socket_addr(acceptor: &impl Acceptor) -> std::io::Result<SocketAddr> {
    acceptor
        .local_addr()
        .first()
        .and_then(|addr| addr.as_socket_addr().copied())
        .ok_or_else(|| std::io::Error::other("listener has no socket address"))
}
