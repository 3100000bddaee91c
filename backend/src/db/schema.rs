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

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Nullable<Text>,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        fiscal_code -> Nullable<Text>,
        locale -> Text,
        disabled -> Bool,
        erased_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    identities (id) {
        id -> BigInt,
        user_id -> BigInt,
        issuer -> Text,
        subject -> Text,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    role_grants (id) {
        id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        scope_kind -> Text,
        scope_id -> Nullable<BigInt>,
        granted_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        assisted_user_id -> Nullable<BigInt>,
        assist_purpose -> Nullable<Text>,
        method -> Text,
        user_agent -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        username -> Text,
        ip -> Text,
        succeeded -> Bool,
        at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        on_behalf_of_user_id -> Nullable<BigInt>,
        action -> Text,
        object_kind -> Nullable<Text>,
        object_id -> Nullable<BigInt>,
        purpose -> Nullable<Text>,
        detail -> Text,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    registry_change_requests (id) {
        id -> BigInt,
        household_id -> BigInt,
        kind -> Text,
        person_id -> BigInt,
        payload -> Text,
        reason -> Text,
        status -> Text,
        proposed_by -> Nullable<BigInt>,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oidc_pending (id) {
        id -> BigInt,
        state -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(households -> units (unit_id));
diesel::joinable!(identities -> users (user_id));
diesel::joinable!(role_grants -> users (user_id));
diesel::joinable!(registry_change_requests -> households (household_id));
diesel::joinable!(registry_change_requests -> persons (person_id));
diesel::joinable!(household_members -> households (household_id));
diesel::joinable!(household_members -> persons (person_id));
diesel::joinable!(application_status_history -> applications (application_id));

diesel::table! {
    communities (id) {
        id -> BigInt,
        kind -> Text,
        estate_id -> Nullable<BigInt>,
        building_id -> Nullable<BigInt>,
        name -> Text,
        name_key -> Text,
        description -> Text,
        join_policy -> Text,
        created_by -> Nullable<BigInt>,
        members_count -> BigInt,
        posts_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    community_members (id) {
        id -> BigInt,
        community_id -> BigInt,
        user_id -> BigInt,
        status -> Text,
        moderator -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        community_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        body_md -> Text,
        body_html -> Text,
        pinned -> Bool,
        locked -> Bool,
        hidden_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        comments_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        targeted -> Bool,
        audience -> Nullable<Text>,
    }
}

diesel::table! {
    post_revisions (id) {
        id -> BigInt,
        post_id -> BigInt,
        title -> Text,
        body_md -> Text,
        body_html -> Text,
        edited_by -> BigInt,
        replaced_at -> Timestamp,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        post_id -> BigInt,
        parent_id -> Nullable<BigInt>,
        author_id -> BigInt,
        body_md -> Text,
        body_html -> Text,
        removed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reactions (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(community_members -> communities (community_id));
diesel::joinable!(community_members -> users (user_id));
diesel::joinable!(posts -> communities (community_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(post_revisions -> posts (post_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(reactions -> posts (post_id));

diesel::table! {
    moderation_flags (id) {
        id -> BigInt,
        community_id -> BigInt,
        post_id -> BigInt,
        comment_id -> Nullable<BigInt>,
        reporter_id -> BigInt,
        reason -> Text,
        note -> Text,
        status -> Text,
        resolved_by -> Nullable<BigInt>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    community_bans (id) {
        id -> BigInt,
        community_id -> BigInt,
        user_id -> BigInt,
        reason -> Text,
        banned_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> BigInt,
        community_id -> BigInt,
        moderator_id -> Nullable<BigInt>,
        action -> Text,
        target -> Text,
        post_id -> Nullable<BigInt>,
        comment_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        data -> Text,
        link -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(moderation_flags -> posts (post_id));
diesel::joinable!(notifications -> users (user_id));

diesel::table! {
    post_recipients (id) {
        id -> BigInt,
        post_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    user_profiles (user_id) {
        user_id -> BigInt,
        interests -> Text,
        languages -> Text,
        accessibility -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        topic -> Text,
        dedup_key -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        done_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    notification_channels (user_id) {
        user_id -> BigInt,
        email -> Nullable<Text>,
        email_consent -> Bool,
        io_consent -> Bool,
        daily_digest -> Bool,
        updated_at -> Timestamp,
        last_digest_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notification_preferences (id) {
        id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        channel -> Text,
        enabled -> Bool,
    }
}

diesel::table! {
    uploads (id) {
        id -> BigInt,
        token -> Text,
        owner_id -> BigInt,
        mime -> Text,
        width -> Integer,
        height -> Integer,
        byte_size -> BigInt,
        sha256 -> Text,
        data -> Binary,
        created_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    post_images (id) {
        id -> BigInt,
        post_id -> BigInt,
        upload_id -> BigInt,
        position -> Integer,
        alt -> Text,
    }
}

diesel::joinable!(uploads -> users (owner_id));
diesel::joinable!(post_images -> posts (post_id));
diesel::joinable!(post_images -> uploads (upload_id));

diesel::table! {
    open311_keys (id) {
        id -> BigInt,
        name -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        category -> Text,
        place -> Text,
        estate_id -> BigInt,
        building_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        staircase -> Nullable<Text>,
        lat -> Double,
        lon -> Double,
        description_md -> Text,
        description_html -> Text,
        summary -> Text,
        blocks_access -> Bool,
        danger -> Bool,
        priority -> Text,
        sla_due_at -> Timestamp,
        status -> Text,
        is_open -> Bool,
        reporter_id -> Nullable<BigInt>,
        on_behalf_by -> Nullable<BigInt>,
        assignee_user_id -> Nullable<BigInt>,
        assignee_contractor -> Nullable<Text>,
        escalation -> Text,
        merged_into -> Nullable<BigInt>,
        scheduled_for -> Nullable<Date>,
        status_note -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        supporters_count -> BigInt,
        reopened_count -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_ratings (id) {
        id -> BigInt,
        report_id -> BigInt,
        rating -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    open311_requests (id) {
        id -> BigInt,
        report_id -> BigInt,
        key_id -> BigInt,
        token -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_status_history (id) {
        id -> BigInt,
        report_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Text,
        by_user_id -> Nullable<BigInt>,
        on_behalf_by -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        scheduled_for -> Nullable<Date>,
        at -> Timestamp,
    }
}

diesel::table! {
    report_supporters (id) {
        id -> BigInt,
        report_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_comments (id) {
        id -> BigInt,
        report_id -> BigInt,
        author_id -> BigInt,
        visibility -> Text,
        body_md -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_images (id) {
        id -> BigInt,
        report_id -> BigInt,
        history_id -> Nullable<BigInt>,
        upload_id -> BigInt,
        position -> Integer,
        alt -> Text,
    }
}

diesel::table! {
    planned_works (id) {
        id -> BigInt,
        title -> Text,
        description_md -> Text,
        description_html -> Text,
        starts_on -> Date,
        ends_on -> Date,
        disruptions -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    planned_work_buildings (id) {
        id -> BigInt,
        works_id -> BigInt,
        building_id -> BigInt,
        post_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    planned_work_ratings (id) {
        id -> BigInt,
        works_id -> BigInt,
        user_id -> BigInt,
        rating -> Integer,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(reports -> estates (estate_id));
diesel::joinable!(report_status_history -> reports (report_id));
diesel::joinable!(report_supporters -> reports (report_id));
diesel::joinable!(report_comments -> reports (report_id));
diesel::joinable!(report_images -> reports (report_id));
diesel::joinable!(report_images -> uploads (upload_id));
diesel::joinable!(planned_work_buildings -> planned_works (works_id));
diesel::joinable!(planned_work_buildings -> buildings (building_id));
diesel::joinable!(planned_work_ratings -> planned_works (works_id));

diesel::table! {
    timebank_banks (id) {
        id -> BigInt,
        name -> Text,
        scope -> Text,
        credit_limit_minutes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    timebank_accounts (id) {
        id -> BigInt,
        bank_id -> BigInt,
        user_id -> Nullable<BigInt>,
        balance_minutes -> BigInt,
        credit_limit_minutes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    timebank_transfers (id) {
        id -> BigInt,
        bank_id -> BigInt,
        kind -> Text,
        initiated_by -> Nullable<BigInt>,
        on_behalf_operator -> Nullable<BigInt>,
        memo -> Text,
        reverses_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    timebank_entries (id) {
        id -> BigInt,
        transfer_id -> BigInt,
        account_id -> BigInt,
        minutes -> BigInt,
        balance_after -> BigInt,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        key -> Text,
        scope -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        resource_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(timebank_entries -> timebank_transfers (transfer_id));
diesel::joinable!(timebank_entries -> timebank_accounts (account_id));
diesel::joinable!(timebank_accounts -> timebank_banks (bank_id));

diesel::table! {
    market_organisations (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        description -> Text,
        created_by -> BigInt,
        verified_by -> Nullable<BigInt>,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    market_organisation_members (id) {
        id -> BigInt,
        organisation_id -> BigInt,
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    market_listings (id) {
        id -> BigInt,
        kind -> Text,
        category -> Text,
        title -> Text,
        description_md -> Text,
        description_html -> Text,
        price_type -> Text,
        price_amount -> Nullable<BigInt>,
        estimated_minutes -> Nullable<BigInt>,
        availability -> Text,
        place_kind -> Text,
        estate_id -> Nullable<BigInt>,
        lat -> Double,
        lon -> Double,
        reach -> Text,
        home_building_id -> Nullable<BigInt>,
        author_id -> BigInt,
        organisation_id -> Nullable<BigInt>,
        status -> Text,
        exchanges_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    market_exchanges (id) {
        id -> BigInt,
        listing_id -> BigInt,
        provider_id -> BigInt,
        receiver_id -> BigInt,
        proposed_by -> BigInt,
        estate_id -> Nullable<BigInt>,
        minutes -> BigInt,
        state -> Text,
        proposed_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<BigInt>,
        disputed_at -> Nullable<Timestamp>,
        disputed_by -> Nullable<BigInt>,
        dispute_reason -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
        resolution_note -> Nullable<Text>,
        transfer_id -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    market_exchange_messages (id) {
        id -> BigInt,
        exchange_id -> BigInt,
        author_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    market_reviews (id) {
        id -> BigInt,
        exchange_id -> BigInt,
        author_id -> BigInt,
        subject_id -> BigInt,
        rating -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(market_organisation_members -> market_organisations (organisation_id));
diesel::joinable!(market_exchanges -> market_listings (listing_id));
diesel::joinable!(market_exchange_messages -> market_exchanges (exchange_id));
diesel::joinable!(market_reviews -> market_exchanges (exchange_id));
diesel::joinable!(market_listings -> estates (estate_id));

diesel::table! {
    listing_images (id) {
        id -> BigInt,
        listing_id -> BigInt,
        upload_id -> BigInt,
        position -> Integer,
        alt -> Text,
    }
}

diesel::joinable!(listing_images -> market_listings (listing_id));
diesel::joinable!(listing_images -> uploads (upload_id));

diesel::table! {
    rooms (id) {
        id -> BigInt,
        kind -> Text,
        room_key -> Nullable<Text>,
        name -> Text,
        community_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        help_user_id -> Nullable<BigInt>,
        assignee_id -> Nullable<BigInt>,
        waiting_since -> Nullable<Timestamp>,
        last_seq -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    room_members (id) {
        id -> BigInt,
        room_id -> BigInt,
        user_id -> BigInt,
        moderator -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    room_events (room_id, seq) {
        room_id -> BigInt,
        seq -> BigInt,
        kind -> Text,
        message_id -> BigInt,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        room_id -> BigInt,
        seq -> BigInt,
        sender_id -> BigInt,
        client_msg_id -> Text,
        body -> Text,
        html -> Text,
        reply_to -> Nullable<BigInt>,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    read_markers (room_id, user_id) {
        room_id -> BigInt,
        user_id -> BigInt,
        seq -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_blocks (blocker_id, blocked_id) {
        blocker_id -> BigInt,
        blocked_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    room_sanctions (id) {
        id -> BigInt,
        room_id -> BigInt,
        user_id -> BigInt,
        kind -> Text,
        until -> Nullable<Timestamp>,
        reason -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        lifted_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(room_members -> rooms (room_id));
diesel::joinable!(messages -> rooms (room_id));
diesel::joinable!(messages -> users (sender_id));

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
    users,
    identities,
    role_grants,
    sessions,
    login_attempts,
    audit_log,
    registry_change_requests,
    oidc_pending,
    communities,
    community_members,
    posts,
    post_revisions,
    comments,
    reactions,
    moderation_flags,
    community_bans,
    moderation_log,
    notifications,
    post_recipients,
    user_profiles,
    outbox,
    notification_channels,
    notification_preferences,
    timebank_banks,
    timebank_accounts,
    rooms,
    room_members,
    room_events,
    messages,
    read_markers,
    user_blocks,
    room_sanctions,
    timebank_transfers,
    timebank_entries,
    idempotency_keys,
    market_organisations,
    market_organisation_members,
    market_listings,
    market_exchanges,
    market_exchange_messages,
    market_reviews,
    uploads,
    post_images,
    open311_keys,
    reports,
    report_ratings,
    open311_requests,
    report_status_history,
    report_supporters,
    report_comments,
    report_images,
    planned_works,
    planned_work_buildings,
    planned_work_ratings,
    listing_images,
);
