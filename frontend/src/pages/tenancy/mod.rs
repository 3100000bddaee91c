//! The tenant registry for those who work with it: search, tenant files, corrections, imports.

pub mod changes;
pub mod imports;
pub mod search;
pub mod tenant_file;

use cortile_shared::tenancy::{ApplicationStatus, ChangeKind, ChangeStatus, HomeRef};

use crate::i18n::I18n;

/// "piano terra", "piano 3".
pub fn floor_text(i18n: &I18n, floor: i32) -> String {
    if floor == 0 {
        i18n.t("home_ref.ground_floor")
    } else {
        i18n.tf("home_ref.floor", &[("floor", &floor.to_string())])
    }
}

/// A home in one line: "Via Abbiati 4, scala A, piano 2, alloggio A-12 (San Siro)".
pub fn home_text(i18n: &I18n, home: &HomeRef) -> String {
    i18n.tf(
        "home_ref.line",
        &[
            ("address", &home.building_address),
            ("staircase", &home.staircase),
            ("floor", &floor_text(i18n, home.floor)),
            ("unit", &home.unit_code),
            ("estate", &home.estate_name),
        ],
    )
}

pub fn application_status_text(i18n: &I18n, status: ApplicationStatus) -> String {
    i18n.t(&format!("application.status.{}", status.as_str()))
}

pub fn change_kind_text(i18n: &I18n, kind: ChangeKind) -> String {
    i18n.t(&format!("change.kind.{}", kind.as_str()))
}

pub fn change_status_text(i18n: &I18n, status: ChangeStatus) -> String {
    i18n.t(&format!("change.status.{}", status.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::{BuildingId, EstateId, Locale, UnitId};

    #[test]
    fn homes_read_as_one_line() {
        let it = I18n::fixed(Locale::It);
        let home = HomeRef {
            estate_id: EstateId(1),
            estate_name: "San Siro".into(),
            building_id: BuildingId(2),
            building_address: "Via Abbiati 4".into(),
            unit_id: UnitId(3),
            unit_code: "A-12".into(),
            staircase: "A".into(),
            floor: 0,
        };
        assert_eq!(
            home_text(&it, &home),
            "Via Abbiati 4, scala A, piano terra, alloggio A-12 (San Siro)"
        );
    }

    #[test]
    fn every_status_and_kind_has_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for status in ApplicationStatus::ALL {
                assert!(i18n.has(&format!("application.status.{}", status.as_str())));
                assert!(i18n.has(&format!("application.explain.{}", status.as_str())));
            }
            for kind in [ChangeKind::MemberLeft, ChangeKind::ContactChanged] {
                assert!(i18n.has(&format!("change.kind.{}", kind.as_str())));
            }
            for status in [
                ChangeStatus::Pending,
                ChangeStatus::Approved,
                ChangeStatus::Rejected,
            ] {
                assert!(i18n.has(&format!("change.status.{}", status.as_str())));
            }
        }
    }
}
