//! `Service`, the handle every endpoint and job holds: the ports, settings and clients it is
//! built from, and the replica's own readiness.

use std::sync::Arc;
use std::time::Instant;

use super::clock::Clock;
use super::error::ServiceError;
use super::ports::{
    Accounts, Cache, Documents, Health, Ledger, Lifecycle, MailSender, NonceStore, Pairs, Ports,
    RateLimiter, ReadToll, TransferMeter,
};
use super::rules::rate::RateClass;
use crate::chain::deposit::{DepositError, DepositKeys, DepositKind, DepositNet};
use crate::chain::rpc::{BitcoinRpc, NodeAuth, RpcError};
use crate::config::Config;
use crate::telemetry::metrics::METRICS;

/// The service every endpoint calls; cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub(super) health: Arc<dyn Health>,
    pub(super) accounts: Arc<dyn Accounts>,
    pub(super) pairs: Arc<dyn Pairs>,
    pub(super) ledger: Arc<dyn Ledger>,
    pub(super) lifecycle: Arc<dyn Lifecycle>,
    pub(super) documents: Arc<dyn Documents>,
    pub(super) cache: Arc<dyn Cache>,
    pub(super) nonces: Arc<dyn NonceStore>,
    pub(super) meter: Arc<dyn TransferMeter>,
    pub(super) limiter: Arc<dyn RateLimiter>,
    pub(super) toll: Arc<dyn ReadToll>,
    pub(super) refusals: Arc<super::refusals::Refusals>,
    pub(super) config: Arc<Config>,
    pub(super) clock: Arc<dyn Clock>,
    /// The operator's deposit key; None when payments are disabled.
    pub(super) deposits: Option<DepositKeys>,
    /// Delivers notices; None keeps them queued.
    pub(super) mailer: Option<Arc<dyn MailSender>>,
    /// The operator's Bitcoin node; None when not configured.
    pub(super) node: Option<BitcoinRpc>,
    /// The last `stored` figure of /status and when it was computed.
    pub(super) stored_cache: Arc<std::sync::Mutex<Option<(Instant, i64)>>>,
    /// Set once the replica is stopping: readiness answers no from then on.
    pub(super) draining: Arc<std::sync::atomic::AtomicBool>,
    pub(super) started: Instant,
}

impl Service {
    /// The service over its ports; fails when the deposit settings are invalid.
    pub fn new(
        ports: Ports,
        config: Arc<Config>,
        clock: Arc<dyn Clock>,
    ) -> Result<Service, SettingsError> {
        let deposits = match &config.deposit_xpub {
            Some(xpub) => Some(deposit_keys(xpub, &config)?),
            None => None,
        };
        let node = node_client(&config)?;
        // Every class's refusal series exists from the start, so a dashboard shows zero
        // rather than nothing.
        for class in RateClass::ALL {
            METRICS.rate_limited.with_label_values(&[class.as_str()]);
        }
        METRICS.capacity_bytes.set(config.capacity_bytes);
        Ok(Service {
            health: ports.health,
            accounts: ports.accounts,
            pairs: ports.pairs,
            ledger: ports.ledger,
            lifecycle: ports.lifecycle,
            documents: ports.documents,
            cache: ports.cache,
            nonces: ports.nonces,
            meter: ports.meter,
            limiter: ports.limiter,
            toll: ports.toll,
            refusals: Arc::default(),
            config,
            clock,
            deposits,
            mailer: None,
            node,
            stored_cache: Arc::default(),
            draining: Arc::default(),
            started: Instant::now(),
        })
    }

    /// The same service delivering notices through `mailer`.
    pub fn with_mailer(mut self, mailer: Arc<dyn MailSender>) -> Service {
        self.mailer = Some(mailer);
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn price_sats(&self) -> i64 {
        self.config.price_sats
    }

    /// Sets the pool gauges from the store's pool, at scrape time.
    pub fn refresh_pool_metrics(&self) {
        if let Some(pool) = self.health.pool_status() {
            let gauges = &crate::telemetry::metrics::METRICS.pg_pool;
            gauges.with_label_values(&["size"]).set(pool.size as i64);
            gauges
                .with_label_values(&["available"])
                .set(pool.available as i64);
            gauges
                .with_label_values(&["waiting"])
                .set(pool.waiting as i64);
        }
    }

    /// Marks the replica as stopping: from now on it reports not ready.
    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether every backing service answers and the replica is not stopping (the
    /// readiness probe).
    pub async fn ready(&self) -> Result<(), ServiceError> {
        if self.draining.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ServiceError::Unavailable("shutting down".into()));
        }
        self.health.ping().await?;
        self.nonces.ping().await?;
        Ok(())
    }

    /// Folds pending bandwidth charges into the store; a failed fold puts its charge back.
    pub async fn fold_metering(&self) -> Result<usize, ServiceError> {
        let drained = self.meter.drain().await?;
        let mut folded = 0;
        for (bucket_id, bytes) in drained {
            match self.accounts.add_transfer(bucket_id, bytes).await {
                Ok(()) => folded += 1,
                Err(err) => {
                    self.meter.restore(bucket_id, bytes).await?;
                    return Err(err.into());
                }
            }
        }
        Ok(folded)
    }
}

/// Settings the service can not work with.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("deposit settings: {0}")]
    Deposit(#[from] DepositError),
    #[error("bitcoind settings: {0}")]
    Node(#[from] RpcError),
    #[error("{0}")]
    ExtraRoots(String),
}

fn node_client(config: &Config) -> Result<Option<BitcoinRpc>, SettingsError> {
    let Some(url) = &config.bitcoind_url else {
        return Ok(None);
    };
    let roots = crate::tls::extra_roots(config.extra_ca_file.as_deref())
        .map_err(SettingsError::ExtraRoots)?;
    let auth = match (
        &config.bitcoind_cookie,
        &config.bitcoind_user,
        &config.bitcoind_password,
    ) {
        (Some(cookie), _, _) => NodeAuth::Cookie(cookie.clone()),
        (None, Some(user), password) => NodeAuth::UserPassword {
            user: user.clone(),
            password: password.clone().unwrap_or_default(),
        },
        (None, None, _) => NodeAuth::None,
    };
    let timeout = std::time::Duration::from_millis(config.bitcoind_timeout_ms);
    Ok(Some(BitcoinRpc::with_roots(url, auth, timeout, &roots)?))
}

fn deposit_keys(xpub: &str, config: &Config) -> Result<DepositKeys, DepositError> {
    let kind = DepositKind::parse(&config.deposit_address_type).ok_or(DepositError::UnknownKind)?;
    let net = match config.deposit_network.to_ascii_lowercase().as_str() {
        "mainnet" => DepositNet::Mainnet,
        "testnet" => DepositNet::Testnet,
        _ => return Err(DepositError::UnknownNetwork),
    };
    DepositKeys::new(xpub, kind, net)
}
