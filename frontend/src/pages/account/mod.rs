//! The signed-in person's own pages: login, profile, housing application, and assisted mode
//! for operators.

pub mod application;
pub mod assist;
pub mod login;
pub mod profile;
