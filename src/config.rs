//! Every setting of the server in one place: a flag, a `CAUSEWAY_*` environment variable and a default.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::auth::Net;
use crate::domain::Cidr;

/// How long a nonce stays usable once it has signed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NonceMode {
    /// One nonce signs several different requests until it expires or is cleared.
    Reusable,
    /// The first accepted request consumes the nonce.
    SingleUse,
}

/// The server's configuration. `main` parses it; nothing else reads the environment. Every
/// flag is global, so it may come before or after the subcommand (`causeway serve --no-jobs`).
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address the public API listens on.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_LISTEN",
        default_value = "127.0.0.1:2016"
    )]
    pub listen: SocketAddr,

    /// Address of the admin listener (/metrics, /healthz, /readyz); keep it off the public load balancer.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_ADMIN_LISTEN",
        default_value = "127.0.0.1:9090"
    )]
    pub admin_listen: SocketAddr,

    /// PostgreSQL connection URL; unset (with REDIS_URL unset) runs the embedded memory backend.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Redis connection URL; unset (with DATABASE_URL unset) runs the embedded memory backend.
    #[arg(long, global = true, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key, so several deployments can share one Redis.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_REDIS_PREFIX",
        default_value = "causeway:"
    )]
    pub redis_prefix: String,

    /// Maximum PostgreSQL connections per replica.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_PG_POOL_SIZE",
        default_value_t = 16
    )]
    pub pg_pool_size: usize,

    /// Milliseconds to wait for a PostgreSQL or Redis connection or answer before answering 503.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BACKEND_TIMEOUT_MS",
        default_value_t = 2000
    )]
    pub backend_timeout_ms: u64,

    /// Milliseconds one PostgreSQL statement may run (lock waits included) before it is
    /// cancelled and the request answers 503.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_PG_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub pg_statement_timeout_ms: u64,

    /// Networks whose addresses are accepted (comma list of mainnet, testnet).
    #[arg(long, global = true, env = "CAUSEWAY_ACCEPTED_NETWORKS", default_value = "mainnet,testnet", value_parser = parse_networks)]
    pub accepted_networks: Networks,

    /// Seconds a nonce lives after it is issued.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_NONCE_TTL_SECS",
        default_value_t = 900
    )]
    pub nonce_ttl_secs: u64,

    /// Whether a nonce may sign several requests (reusable) or only one (single-use).
    #[arg(long, global = true, env = "CAUSEWAY_NONCE_MODE", value_enum, default_value_t = NonceMode::Reusable)]
    pub nonce_mode: NonceMode,

    /// Largest value accepted by /put, in UTF-8 bytes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_MAX_VALUE_BYTES",
        default_value_t = 8192
    )]
    pub max_value_bytes: usize,

    /// Largest request body accepted, in bytes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_MAX_BODY_BYTES",
        default_value_t = 65536
    )]
    pub max_body_bytes: usize,

    /// Storage of one bucket, in bytes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BUCKET_BYTES",
        default_value_t = 1_048_576
    )]
    pub bucket_bytes: i64,

    /// Transfer allowance of one bucket, in bytes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BUCKET_TRANSFER_BYTES",
        default_value_t = 52_428_800
    )]
    pub bucket_transfer_bytes: i64,

    /// Days a paid bucket lasts.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BUCKET_TERM_DAYS",
        default_value_t = 365
    )]
    pub bucket_term_days: i64,

    /// Days a free bucket lasts.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_FREE_BUCKET_TERM_DAYS",
        default_value_t = 30
    )]
    pub free_bucket_term_days: i64,

    /// Free buckets an account may hold (0 disables free buckets).
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_FREE_BUCKETS",
        default_value_t = 4
    )]
    pub free_buckets: i64,

    /// Price of one bucket in satoshis.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_PRICE_SATS",
        default_value_t = 10_000
    )]
    pub price_sats: i64,

    /// The operator's BIP-32 extended public key (xpub/tpub) deposit addresses derive from;
    /// unset disables payments (/address answers 501).
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_DEPOSIT_XPUB",
        hide_env_values = true
    )]
    pub deposit_xpub: Option<String>,

    /// Deposit address type: p2wpkh (bc1q…) or p2pkh (1…).
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_DEPOSIT_ADDRESS_TYPE",
        default_value = "p2wpkh"
    )]
    pub deposit_address_type: String,

    /// Network of the deposit addresses: mainnet or testnet (must match the xpub).
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_DEPOSIT_NETWORK",
        default_value = "mainnet"
    )]
    pub deposit_network: String,

    /// The operator's Bitcoin Core JSON-RPC URL (http://host:8332); unset disables the
    /// payment watcher.
    #[arg(long, global = true, env = "CAUSEWAY_BITCOIND_URL")]
    pub bitcoind_url: Option<String>,

    /// Bitcoin Core RPC user (with CAUSEWAY_BITCOIND_PASSWORD), instead of a cookie file.
    #[arg(long, global = true, env = "CAUSEWAY_BITCOIND_USER")]
    pub bitcoind_user: Option<String>,

    /// Bitcoin Core RPC password.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BITCOIND_PASSWORD",
        hide_env_values = true
    )]
    pub bitcoind_password: Option<String>,

    /// Bitcoin Core's `.cookie` file, read at each call (a node restart writes a new one).
    #[arg(long, global = true, env = "CAUSEWAY_BITCOIND_COOKIE")]
    pub bitcoind_cookie: Option<std::path::PathBuf>,

    /// A PEM file of CA certificates trusted, beside the webpki and system roots, for every
    /// outbound HTTPS connection (the Bitcoin node, the OTLP collector): a private CA's.
    #[arg(long, global = true, env = "CAUSEWAY_EXTRA_CA_FILE")]
    pub extra_ca_file: Option<std::path::PathBuf>,

    /// Milliseconds to wait for the node before giving up on a call.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_BITCOIND_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub bitcoind_timeout_ms: u64,

    /// Confirmations a deposit needs before it is credited.
    #[arg(long, global = true, env = "CAUSEWAY_MINCONF", default_value_t = 1)]
    pub minconf: u32,

    /// Seconds between polls of the node for deposits.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_PAYMENTS_POLL_SECS",
        default_value_t = 30
    )]
    pub payments_poll_secs: u64,

    /// Days an expired bucket's stranded pairs are kept before they are deleted.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_EXPIRED_RETENTION_DAYS",
        default_value_t = 30
    )]
    pub expired_retention_days: i64,

    /// Days a bought bucket may stay unpaid before the expiry job drops it, so unpaid
    /// purchases can not hold capacity.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_PENDING_BUCKET_DAYS",
        default_value_t = 7
    )]
    pub pending_bucket_days: i64,

    /// Seconds between expiry passes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_EXPIRY_INTERVAL_SECS",
        default_value_t = 60
    )]
    pub expiry_interval_secs: u64,

    /// SMTP server for notices: smtp://host:port, smtp://user:pass@host:port?tls=required,
    /// or smtps://user:pass@host:port; unset keeps mail queued.
    #[arg(long, global = true, env = "CAUSEWAY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of notices.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_SMTP_FROM",
        default_value = "Causeway <noreply@localhost>"
    )]
    pub smtp_from: String,

    /// Seconds between outbox drains.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_MAIL_INTERVAL_SECS",
        default_value_t = 10
    )]
    pub mail_interval_secs: u64,

    /// Attempts to deliver one mail before giving up on it.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_MAIL_MAX_ATTEMPTS",
        default_value_t = 8
    )]
    pub mail_max_attempts: i32,

    /// Storage capacity this deployment sells, in bytes: buckets beyond it answer 507.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_CAPACITY_BYTES",
        default_value_t = 10_737_418_240
    )]
    pub capacity_bytes: i64,

    /// Seconds between folds of the bandwidth meter from Redis into PostgreSQL.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_METERING_FOLD_SECS",
        default_value_t = 5
    )]
    pub metering_fold_secs: u64,

    /// Seconds a stopping replica keeps serving while reporting not-ready, so the load
    /// balancer stops sending before the listener closes.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_SHUTDOWN_DELAY_SECS",
        default_value_t = 0
    )]
    pub shutdown_delay_secs: u64,

    /// Seconds a new request's head (request line and headers) may take to arrive, from the
    /// connection's start or the request's first byte, before the connection is closed.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_HTTP_HEADER_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub http_header_timeout_secs: u64,

    /// Seconds a keep-alive connection may sit idle between requests before it is closed.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_HTTP_IDLE_TIMEOUT_SECS",
        default_value_t = 60
    )]
    pub http_idle_timeout_secs: u64,

    /// Public connections one replica holds at once; further ones wait in the listen queue.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_MAX_CONNECTIONS",
        default_value_t = 10_000
    )]
    pub max_connections: usize,

    /// Unsigned requests (`/get`, `/query`, `/bitcoin`, `/status`, …) one client may make a
    /// second, in bursts of as many; 0 turns the limit off.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_RATE_READS_PER_SEC",
        default_value_t = 100
    )]
    pub rate_reads_per_sec: u32,

    /// `/nonce` calls one client may make a second, in bursts of as many; 0 turns it off.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_RATE_NONCES_PER_SEC",
        default_value_t = 10
    )]
    pub rate_nonces_per_sec: u32,

    /// Signed requests one client may make a second, in bursts of as many; 0 turns it off.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_RATE_WRITES_PER_SEC",
        default_value_t = 50
    )]
    pub rate_writes_per_sec: u32,

    /// Accounts one client may create an hour, in bursts of as many; 0 turns it off.
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_RATE_NEW_ACCOUNTS_PER_HOUR",
        default_value_t = 20
    )]
    pub rate_new_accounts_per_hour: u32,

    /// Load balancers whose X-Forwarded-For names the client (comma list of CIDR networks or
    /// addresses); from any other peer the header is ignored.
    #[arg(long, global = true, env = "CAUSEWAY_TRUSTED_PROXIES", default_value = "", value_parser = parse_proxies)]
    pub trusted_proxies: TrustedProxies,

    /// Run no background jobs in this replica.
    #[arg(long, global = true, env = "CAUSEWAY_NO_JOBS", default_value_t = false)]
    pub no_jobs: bool,

    /// OTLP endpoint for traces (standard OpenTelemetry variable); traces are off when
    /// neither it nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. The exporter reads the
    /// other OTEL_* variables (protocol, headers, timeout) itself.
    #[arg(long, global = true, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otel_endpoint: Option<String>,

    /// OTLP endpoint for traces only (standard OpenTelemetry variable).
    #[arg(long, global = true, env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")]
    pub otel_traces_endpoint: Option<String>,

    /// Service name on exported spans (standard OpenTelemetry variable).
    #[arg(
        long,
        global = true,
        env = "OTEL_SERVICE_NAME",
        default_value = "causeway"
    )]
    pub otel_service_name: String,

    /// This replica's name on spans and logs (Kubernetes sets HOSTNAME to the pod name).
    #[arg(long, global = true, env = "HOSTNAME", default_value = "causeway")]
    pub replica: String,

    /// Log format: json (for log collectors) or text (for people).
    #[arg(
        long,
        global = true,
        env = "CAUSEWAY_LOG_FORMAT",
        default_value = "json"
    )]
    pub log_format: String,
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<Cidr>);

fn parse_proxies(text: &str) -> Result<TrustedProxies, String> {
    text.split(',')
        .map(str::trim)
        .filter(|net| !net.is_empty())
        .map(str::parse)
        .collect::<Result<Vec<Cidr>, String>>()
        .map(TrustedProxies)
}

/// The networks whose addresses are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Networks(pub Vec<Net>);

fn parse_networks(text: &str) -> Result<Networks, String> {
    let nets = text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| Net::parse_name(name).ok_or_else(|| format!("unknown network {name:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if nets.is_empty() {
        return Err("at least one network must be accepted".into());
    }
    Ok(Networks(nets))
}

impl Config {
    /// The configuration with every default, as if no flag or variable were given.
    pub fn defaults() -> Config {
        use clap::Parser;
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        // Parsing an empty command line can only fail if a default is invalid, which tests catch.
        Only::parse_from(["causeway"]).config
    }

    pub fn backend_timeout(&self) -> Duration {
        Duration::from_millis(self.backend_timeout_ms)
    }

    pub fn nonce_ttl(&self) -> Duration {
        Duration::from_secs(self.nonce_ttl_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let config = Config::defaults();
        assert_eq!(config.listen.to_string(), "127.0.0.1:2016");
        assert_eq!(config.admin_listen.port(), 9090);
        assert_eq!(config.nonce_ttl_secs, 900);
        assert_eq!(config.max_value_bytes, 8192);
        assert_eq!(config.bucket_bytes, 1_048_576);
        assert_eq!(config.bucket_transfer_bytes, 52_428_800);
        assert_eq!(config.free_buckets, 4);
        assert_eq!(config.nonce_mode, NonceMode::Reusable);
        assert_eq!(config.accepted_networks.0, vec![Net::Mainnet, Net::Testnet]);
        assert_eq!(config.http_header_timeout_secs, 10);
        assert_eq!(config.http_idle_timeout_secs, 60);
        assert_eq!(config.max_connections, 10_000);
        assert_eq!(config.rate_reads_per_sec, 100);
        assert_eq!(config.rate_nonces_per_sec, 10);
        assert_eq!(config.rate_writes_per_sec, 50);
        assert_eq!(config.rate_new_accounts_per_hour, 20);
        assert!(config.trusted_proxies.0.is_empty());
    }

    #[test]
    fn trusted_proxies_parse_from_a_comma_list() {
        let proxies = parse_proxies("10.0.0.0/8, 192.0.2.1,fd00::/8").unwrap();
        let shown: Vec<String> = proxies.0.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.1/32", "fd00::/8"]);
        assert!(parse_proxies("").unwrap().0.is_empty());
        assert!(parse_proxies("10.0.0.0/8,nonsense").is_err());
    }

    #[test]
    fn networks_parse_from_a_comma_list() {
        assert_eq!(parse_networks("testnet").unwrap().0, vec![Net::Testnet]);
        assert!(parse_networks("").is_err());
        assert!(parse_networks("mainnet,litecoin").is_err());
    }
}
