//! Integration tests: a real server on a random port, a real database (SQLite, or
//! PostgreSQL when SAMENSPEL_TEST_POSTGRES_URL is set), real HTTP.

mod access;
mod api_rules;
mod charter;
mod common;
mod exchange;
mod exchange_api;
mod governance;
mod health;
mod login;
mod mail;
mod norm;
mod openapi;
mod pages;
mod procurement;
mod production;
mod provider_side;
mod risk_sharing;
