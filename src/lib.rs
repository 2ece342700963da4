//! Causeway: the storage server of the Rein decentralized freelance market.

pub mod api;
pub mod app;
pub mod auth;
pub mod cache;
pub mod chain;
pub mod config;
pub mod connect;
pub mod domain;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod metering;
pub mod nonces;
pub mod rein;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod tolls;
