//! One module per page.

pub mod account;
pub mod audit;
pub mod chat;
pub mod community;
pub mod maintenance;
pub mod not_found;
pub mod notification_settings;
pub mod notifications;
pub mod registry;
pub mod tenancy;
pub mod timebank;
