//! The diesel schema, one for both databases. Written by hand to match both migration trees
//! (`migrations/sqlite`, `migrations/postgres`); a test compares the trees.

diesel::table! {
    estates (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        district -> Integer,
        boundary -> Text,
        centroid_lat -> Double,
        centroid_lon -> Double,
        min_lat -> Double,
        min_lon -> Double,
        max_lat -> Double,
        max_lon -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        buildings_count -> BigInt,
        homes_count -> BigInt,
    }
}

diesel::table! {
    buildings (id) {
        id -> BigInt,
        estate_id -> BigInt,
        code -> Text,
        address -> Text,
        postcode -> Text,
        lat -> Double,
        lon -> Double,
        floors -> Integer,
        has_lift -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        homes_count -> BigInt,
    }
}

diesel::table! {
    units (id) {
        id -> BigInt,
        building_id -> BigInt,
        code -> Text,
        staircase -> Text,
        floor -> Integer,
        rooms -> Integer,
        area_m2 -> Double,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(buildings -> estates (estate_id));
diesel::joinable!(units -> buildings (building_id));

diesel::table! {
    households (id) {
        id -> BigInt,
        unit_id -> BigInt,
        contract_code -> Text,
        contract_start -> Date,
        contract_status -> Text,
        ended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    persons (id) {
        id -> BigInt,
        fiscal_code -> Text,
        surname -> Text,
        given_name -> Text,
        birth_date -> Date,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    household_members (id) {
        id -> BigInt,
        household_id -> BigInt,
        person_id -> BigInt,
        role -> Text,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> BigInt,
        protocol -> Text,
        applicant_fiscal_code -> Text,
        submitted_on -> Date,
        status -> Text,
        ranking_position -> Nullable<Integer>,
        offered_unit_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_status_history (id) {
        id -> BigInt,
        application_id -> BigInt,
        status -> Text,
        ranking_position -> Nullable<Integer>,
        note -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    registry_imports (id) {
        id -> BigInt,
        source_name -> Text,
        mode -> Text,
        dry_run -> Bool,
        outcome -> Text,
        rows_total -> Integer,
        created_count -> Integer,
        updated_count -> Integer,
        unchanged_count -> Integer,
        ended_count -> Integer,
        rejected_count -> Integer,
        report -> Text,
        imported_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(households -> units (unit_id));
diesel::joinable!(household_members -> households (household_id));
diesel::joinable!(household_members -> persons (person_id));
diesel::joinable!(application_status_history -> applications (application_id));
diesel::allow_tables_to_appear_in_same_query!(
    estates,
    buildings,
    units,
    households,
    persons,
    household_members,
    applications,
    application_status_history,
    registry_imports,
);
