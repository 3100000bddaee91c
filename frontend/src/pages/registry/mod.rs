//! The public registry: estates, buildings and their homes.

pub mod building;
pub mod estate;
pub mod home;
