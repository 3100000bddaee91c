//! Building blocks shared by the pages.

pub mod breadcrumb;
pub mod form;
pub mod icon;
pub mod map;
pub mod people;
pub mod shell;
pub mod status;
pub mod table;

pub use breadcrumb::Breadcrumb;
pub use form::{estate_options, field_error, Checkbox, FormAlert, SelectField, TextField};
pub use icon::Icon;
pub use map::{use_point_features, Map, PointPicker};
pub use people::PeoplePicker;
pub use shell::Shell;
pub use status::{ErrorState, Loading, NotFoundState};
pub use table::ScrollTable;
