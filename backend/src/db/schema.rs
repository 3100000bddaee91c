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
diesel::allow_tables_to_appear_in_same_query!(estates, buildings, units);
