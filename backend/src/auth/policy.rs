//! The one permission check: `authorize(&actor, &Action)`.
//!
//! Every handler that does more than read public data asks this module, and only this module
//! knows which role may do what where. Rules:
//! - Not signed in: 401 for anything but public reads.
//! - A denied read or write of a specific object the actor may not see is 404, so that the
//!   existence of other people's objects does not leak; a denied action on something the actor
//!   can see (or on a whole function, like the audit log) is 403.
//! - Scopes: a global grant covers every place; an estate grant covers the estate and its
//!   buildings; a building grant covers that building.
//! - In assisted mode the principal is the resident: an operator acting for someone has that
//!   person's rights, not their own.

use cortile_shared::auth::{Role, Scope};
use cortile_shared::community::{CommunityAbilities, CommunityKind, JoinPolicy, MemberStatus};
use cortile_shared::maintenance::ReportStatus;
use cortile_shared::realtime::{RoomAbilities, RoomKind};
use cortile_shared::ErrorCode;

use super::{Actor, Principal};
use crate::error::{AppError, AppResult};

/// A place in the registry: what scoped grants are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub estate_id: i64,
    pub building_id: i64,
}

/// Everything that needs permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// See one's own account, sessions, data export; erase one's account.
    OwnAccount,
    /// Search persons of the registry (results limited to [`registry_reach`]).
    SearchRegistry,
    /// Open the tenant file of a household at this place.
    OpenTenantFile(Place),
    /// Import the manager's export, list past imports.
    ImportRegistry,
    /// Read the audit log.
    ViewAuditLog,
    /// Propose a correction for a household at this place.
    ProposeChange(Place),
    /// See a change request about a household at this place.
    ViewChangeRequest(Place),
    /// Approve or reject a change request, proposed by `proposer`.
    DecideChange { place: Place, proposer: Option<i64> },
    /// Act on a resident's behalf (assisted mode).
    Assist,
    /// See a community and read its posts.
    ReadCommunity(CommunityCtx),
    /// Post and comment in a community.
    PostIn(CommunityCtx),
    /// Pin announcements in a community.
    PinIn(CommunityCtx),
    /// Approve members, and later hide, lock and ban.
    ModerateCommunity(CommunityCtx),
    /// Hold an account in the time bank, pay other members, read one's own statement.
    UseTimeBank,
    /// See one transfer of the ledger; `party` when the actor paid or was paid by it.
    ViewTransfer { party: bool },
    /// Correct the time bank: adjustments, reversals, credit limits (audited).
    ManageTimeBank,
    /// Create a community of interest.
    CreateCommunity,
    /// Upload an image (to attach to something of mine afterwards).
    Upload,
    /// See or delete an upload not attached to anything yet: only its owner. (An attached one
    /// is seen by whoever may read what it is attached to; see `uploads::may_read`.)
    OwnUpload { owner: i64 },
    /// Report a maintenance problem at this place (`building_id` 0: a point of the estate).
    ReportProblem(Place),
    /// Read a maintenance report (its public thread).
    ReadReport(ReportCtx),
    /// Say "me too" on a report (or take it back).
    SupportReport(ReportCtx),
    /// Comment publicly on a report.
    CommentOnReport(ReportCtx),
    /// Read and write a report's internal notes (staff only).
    InternalNotes(ReportCtx),
    /// Move a report to another status.
    ChangeReportStatus { report: ReportCtx, to: ReportStatus },
    /// Assign a report, escalate it.
    ManageReport(ReportCtx),
    /// Merge a duplicate into another report (asked for each of the two).
    MergeReports(ReportCtx),
    /// Rate the repair of a report.
    RateReport(ReportCtx),
    /// The reports of a place: a building's list, an estate's map.
    ReadPlaceReports(Place),
    /// The committee board of an estate (`building_id` 0), and its CSV export.
    ViewBoard(Place),
    /// The staff queue (limited to [`maintenance_reach`]) and bulk changes.
    ViewQueue,
    /// Announce extraordinary works in a building.
    AnnounceWorks(Place),
    /// Rate the outcome of works in a building (its residents).
    RateWorks(Place),
    /// See a listing of the marketplace.
    ViewListing(ListingCtx),
    /// Publish a listing: as a resident, or for an organisation (`Some(verified member)`).
    PublishListing { organisation: Option<bool> },
    /// Edit or close a listing (`author`: the reader wrote it, or is a member of its
    /// organisation).
    EditListing { ctx: ListingCtx, author: bool },
    /// Ask for an offer or offer help with a request.
    ProposeExchange(ListingCtx),
    /// See an exchange, its messages and reviews.
    ViewExchange { party: bool },
    /// Take a step of an exchange (the state machine checks the state).
    ExchangeStep { step: Step, party: ExchangeParty },
    /// List disputes and resolve them; see every exchange (staff, audited).
    MediateExchanges,
    /// Create an organisation (it publishes once verified).
    CreateOrganisation,
    /// Verify an organisation (staff, audited).
    VerifyOrganisation,
    /// Add members to an organisation (`visible`: verified, or the reader is a member).
    ManageOrganisation { member: bool, visible: bool },
    /// Read a chat room's messages and events (subscribe on the socket, history).
    ReadRoom(RoomCtx),
    /// Send, edit my messages, mark read, type in a chat room.
    SendIn(RoomCtx),
    /// Delete others' messages, mute or remove people in a chat room.
    ModerateRoom(RoomCtx),
    /// Create a group room, open a direct room, ask for help.
    StartChat,
    /// List a room's people: whoever reads the room, and staff (who oversee every room
    /// without reading its messages).
    ListRoomMembers(RoomCtx),
    /// Rename a group room, add people to it: its moderators.
    ManageGroup(RoomCtx),
    /// Leave a group room: its members (a community room is left by leaving the community).
    LeaveRoom(RoomCtx),
    /// See the help rooms waiting for an operator and take one.
    AnswerHelp,
}

/// What the permission check needs to know about a chat room and the reader's place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomCtx {
    pub kind: RoomKind,
    /// A community room: the community and the reader's place in it (its membership is the
    /// community's, derived, never copied).
    pub community: Option<CommunityCtx>,
    /// The reader has a row in `room_members` (group, direct and help rooms).
    pub member: bool,
    /// … as the room's moderator (the creator of a group).
    pub room_moderator: bool,
    /// Help rooms: the reader is the resident who asked.
    pub help_owner: bool,
    /// A moderator removed the reader from this room.
    pub removed: bool,
    /// A moderator muted the reader here, for now.
    pub muted: bool,
}

/// Who a listing reaches, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingCtx {
    pub author_id: i64,
    pub reach: cortile_shared::market::ListingReach,
    pub estate_id: Option<i64>,
    pub home_building_id: Option<i64>,
}

/// The steps of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Complete,
    Confirm,
    Cancel,
    Dispute,
    Message,
    Review,
}

/// The reader's side in an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExchangeParty {
    pub provider: bool,
    pub receiver: bool,
    /// The reader proposed it (the other side accepts).
    pub proposer: bool,
}

/// What the permission check needs to know about a maintenance report and its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportCtx {
    /// Where it is (`building_id` 0 for a point with no building).
    pub place: Place,
    /// About someone's home: only the reporter and staff read it.
    pub home: bool,
    /// Who reported it (absent for an Open311 partner's report).
    pub reporter: Option<i64>,
    /// Whether the reader said "me too".
    pub supporter: bool,
}

/// What the permission check needs to know about a community and the reader's place in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityCtx {
    pub kind: CommunityKind,
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
    pub policy: JoinPolicy,
    /// The reader's row in `community_members`, if any.
    pub status: Option<MemberStatus>,
    pub moderator: bool,
    /// Banned by its moderators: may read, not post.
    pub banned: bool,
}

/// How much of a tenant file the reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything: fiscal codes, birth dates, contacts.
    Full,
    /// Names and roles in the household only (committees).
    Limited,
}

/// Roles that open tenant files with every detail, within their scope.
const FILE_READERS: &[Role] = &[
    Role::Admin,
    Role::Staff,
    Role::Operator,
    Role::Custodian,
    Role::BuildingAdmin,
];
/// Roles that see a household's composition only, within their scope.
const FILE_READERS_LIMITED: &[Role] = &[Role::CommitteeMember];
/// Roles that import the registry (global scope only).
const IMPORTERS: &[Role] = &[Role::Admin, Role::Staff];
/// Roles that read the audit log (global scope only).
const AUDITORS: &[Role] = &[Role::Admin];
/// Roles that propose registry corrections, within their scope.
const PROPOSERS: &[Role] = &[Role::CommitteeMember, Role::Staff, Role::Admin];
/// Roles that approve or reject corrections, within their scope.
const DECIDERS: &[Role] = &[Role::Staff, Role::Admin];
/// Roles that act on a resident's behalf.
const ASSISTANTS: &[Role] = &[Role::Operator, Role::Staff];

/// Roles that serve the residents of a place: they read and post in its communities.
const SERVING: &[Role] = &[
    Role::CommitteeMember,
    Role::Custodian,
    Role::BuildingAdmin,
    Role::SocialWorker,
    Role::Operator,
    Role::Staff,
    Role::Admin,
    Role::Moderator,
];
/// Roles that moderate every community.
const GLOBAL_MODERATORS: &[Role] = &[Role::Moderator, Role::Staff, Role::Admin];
/// Roles that may pin announcements in the communities of the places they serve.
const ANNOUNCERS: &[Role] = &[
    Role::CommitteeMember,
    Role::Staff,
    Role::Admin,
    Role::SocialWorker,
];
/// Roles that correct the time bank's ledger and set its credit limits (global scope only).
const TIMEBANK_STAFF: &[Role] = &[Role::Staff, Role::Admin];

/// Roles that mediate the marketplace's disputes and verify its organisations.
const MARKET_STAFF: &[Role] = &[Role::Staff, Role::Admin];

/// Roles that may create communities of interest (besides residents).
const FOUNDERS: &[Role] = &[
    Role::SocialWorker,
    Role::CommitteeMember,
    Role::Staff,
    Role::Admin,
];

/// Roles (besides residents of the place) that report maintenance problems where they serve.
const PROBLEM_REPORTERS: &[Role] = &[
    Role::CommitteeMember,
    Role::Custodian,
    Role::BuildingAdmin,
    Role::Operator,
    Role::Staff,
    Role::Admin,
];
/// The housing manager's people: they read every report of their scope (homes too), internal
/// notes included, and work the queue.
const MAINTENANCE_STAFF: &[Role] = &[
    Role::Staff,
    Role::Admin,
    Role::Operator,
    Role::Custodian,
    Role::BuildingAdmin,
];
/// First line: acknowledge, schedule, start, assign, escalate.
const TRIAGERS: &[Role] = &[
    Role::Staff,
    Role::Admin,
    Role::BuildingAdmin,
    Role::Operator,
];
/// Who decides a report's outcome: resolve, reject, not ours, merge duplicates.
const RESOLVERS: &[Role] = &[Role::Staff, Role::Admin, Role::BuildingAdmin];
/// Who reads an estate's committee board.
const BOARD_READERS: &[Role] = &[
    Role::CommitteeMember,
    Role::BuildingAdmin,
    Role::Staff,
    Role::Admin,
];
/// Who announces extraordinary works.
const WORKS_ANNOUNCERS: &[Role] = &[Role::Staff, Role::Admin, Role::BuildingAdmin];

fn covers(scope: Scope, place: Place) -> bool {
    match scope {
        Scope::Global => true,
        Scope::Estate(e) => e.0 == place.estate_id,
        Scope::Building(b) => b.0 == place.building_id,
        Scope::Community(_) => false,
    }
}

fn holds_at(p: &Principal, roles: &[Role], place: Place) -> bool {
    p.grants
        .iter()
        .any(|g| roles.contains(&g.role) && covers(g.scope, place))
}

fn holds_globally(p: &Principal, roles: &[Role]) -> bool {
    p.grants
        .iter()
        .any(|g| roles.contains(&g.role) && g.scope == Scope::Global)
}

fn holds_anywhere(p: &Principal, roles: &[Role]) -> bool {
    p.grants.iter().any(|g| roles.contains(&g.role))
}

fn hidden() -> AppError {
    AppError::not_found("no such object")
}

fn forbidden(what: &str) -> AppError {
    AppError::new(ErrorCode::Forbidden).with_detail(format!("you may not {what}"))
}

/// Staff never correct what concerns themselves (their own account, a transfer of theirs, a
/// dispute they are a party of, an organisation they belong to): another member of staff does
/// it. `people`: whom the correction concerns; `what`: the act, for the refusal.
pub fn not_concerning_oneself(actor: &Actor, people: &[i64], what: &str) -> AppResult<()> {
    if people.contains(&actor.require()?.principal.id.0) {
        return Err(AppError::new(ErrorCode::Forbidden).with_detail(format!(
            "staff do not {what}: another member of staff must do it"
        )));
    }
    Ok(())
}

/// Decides whether the actor may perform `action`. `Ok` carries how much detail they see.
pub fn authorize(actor: &Actor, action: &Action) -> AppResult<Detail> {
    let p = &actor.require()?.principal;
    let allowed = |ok: bool, deny: AppError| if ok { Ok(Detail::Full) } else { Err(deny) };
    match action {
        Action::OwnAccount => Ok(Detail::Full),
        Action::SearchRegistry => allowed(
            holds_anywhere(p, FILE_READERS) || holds_anywhere(p, FILE_READERS_LIMITED),
            forbidden("search the registry"),
        ),
        Action::OpenTenantFile(place) => {
            if holds_at(p, FILE_READERS, *place) {
                Ok(Detail::Full)
            } else if holds_at(p, FILE_READERS_LIMITED, *place) {
                Ok(Detail::Limited)
            } else {
                Err(hidden())
            }
        }
        Action::ImportRegistry => allowed(
            holds_globally(p, IMPORTERS),
            forbidden("import the registry"),
        ),
        Action::ViewAuditLog => {
            allowed(holds_globally(p, AUDITORS), forbidden("read the audit log"))
        }
        Action::ProposeChange(place) => allowed(holds_at(p, PROPOSERS, *place), hidden()),
        Action::ViewChangeRequest(place) => allowed(
            holds_at(p, PROPOSERS, *place) || holds_at(p, DECIDERS, *place),
            hidden(),
        ),
        Action::DecideChange { place, proposer } => {
            if !(holds_at(p, PROPOSERS, *place) || holds_at(p, DECIDERS, *place)) {
                return Err(hidden());
            }
            if !holds_at(p, DECIDERS, *place) {
                return Err(forbidden("decide on registry corrections"));
            }
            // Nobody approves their own proposal, not even through an assisted session.
            let keyboard = actor.keyboard_user().map(|u| u.id.0);
            if proposer.is_some() && (*proposer == Some(p.id.0) || *proposer == keyboard) {
                return Err(forbidden("decide on a correction you proposed"));
            }
            Ok(Detail::Full)
        }
        Action::Assist => {
            if actor.operator().is_some() {
                return Err(forbidden("start assisting while already assisting someone"));
            }
            allowed(
                holds_anywhere(p, ASSISTANTS),
                forbidden("act on behalf of residents"),
            )
        }
        Action::ReadCommunity(ctx) => allowed(community_abilities(actor, ctx).read, hidden()),
        Action::PostIn(ctx) | Action::PinIn(ctx) | Action::ModerateCommunity(ctx) => {
            let a = community_abilities(actor, ctx);
            let ok = match action {
                Action::PostIn(_) => a.post,
                Action::PinIn(_) => a.pin,
                _ => a.moderate,
            };
            if ok {
                Ok(Detail::Full)
            } else if community_visible(actor, ctx) {
                Err(forbidden("do this in this community"))
            } else {
                Err(hidden())
            }
        }
        Action::CreateCommunity => allowed(
            p.has_role(Role::Resident) || holds_anywhere(p, FOUNDERS),
            forbidden("create communities"),
        ),
        // Anyone signed in: what an upload may be attached to is checked when attaching.
        Action::Upload => Ok(Detail::Full),
        Action::OwnUpload { owner } => allowed(*owner == p.id.0, hidden()),
        Action::ReportProblem(place) => allowed(
            holds_at(p, &[Role::Resident], *place) || holds_at(p, PROBLEM_REPORTERS, *place),
            forbidden("report problems here"),
        ),
        Action::ReadReport(r) => allowed(reads_report(p, r), hidden()),
        Action::SupportReport(r) => report_act(
            p,
            r,
            !r.home && r.reporter != Some(p.id.0) && holds_at(p, &[Role::Resident], r.place),
            "say \"me too\" on this report",
        ),
        Action::CommentOnReport(r) => report_act(p, r, true, "comment on this report"),
        Action::InternalNotes(r) => report_act(
            p,
            r,
            holds_at(p, MAINTENANCE_STAFF, r.place),
            "read internal notes",
        ),
        Action::ChangeReportStatus { report, to } => {
            use ReportStatus as S;
            let ok = match to {
                S::Confirmed | S::Reopened => report.reporter == Some(p.id.0),
                S::Acknowledged | S::Scheduled | S::InProgress => {
                    holds_at(p, TRIAGERS, report.place)
                }
                S::Resolved | S::Rejected | S::NotOurResponsibility => {
                    holds_at(p, RESOLVERS, report.place)
                }
                // Reached only by making, merging and auto-closing.
                S::New | S::Closed | S::Merged => false,
            };
            report_act(p, report, ok, "change this report's status that way")
        }
        Action::ManageReport(r) => {
            report_act(p, r, holds_at(p, TRIAGERS, r.place), "manage this report")
        }
        Action::MergeReports(r) => {
            report_act(p, r, holds_at(p, RESOLVERS, r.place), "merge reports")
        }
        Action::RateReport(r) => report_act(p, r, r.reporter == Some(p.id.0), "rate this repair"),
        Action::ReadPlaceReports(place) => allowed(
            holds_at(p, &[Role::Resident], *place) || holds_at(p, PROBLEM_REPORTERS, *place),
            forbidden("read the reports of this place"),
        ),
        Action::ViewBoard(place) => allowed(
            holds_at(p, BOARD_READERS, *place),
            forbidden("read this estate's maintenance board"),
        ),
        Action::ViewQueue => allowed(
            holds_anywhere(p, MAINTENANCE_STAFF),
            forbidden("work the maintenance queue"),
        ),
        Action::AnnounceWorks(place) => allowed(
            holds_at(p, WORKS_ANNOUNCERS, *place),
            forbidden("announce works in this building"),
        ),
        Action::RateWorks(place) => allowed(
            p.residence
                .as_ref()
                .is_some_and(|r| r.home.building_id.0 == place.building_id),
            forbidden("rate these works: they were not in your building"),
        ),
        // Members of the time bank are the residents the registry knows (in assisted mode the
        // resident being assisted: the operator's own roles do not count).
        Action::UseTimeBank => allowed(
            p.has_role(Role::Resident),
            forbidden("use the time bank: its members are the residents"),
        ),
        Action::ViewTransfer { party } => {
            allowed(*party || holds_globally(p, TIMEBANK_STAFF), hidden())
        }
        Action::ManageTimeBank => allowed(
            holds_globally(p, TIMEBANK_STAFF),
            forbidden("correct the time bank"),
        ),
        Action::ViewListing(ctx) => allowed(listing_visible(p, ctx), hidden()),
        Action::PublishListing { organisation } => match organisation {
            None => allowed(
                p.has_role(Role::Resident),
                forbidden(
                    "publish listings: residents publish, or members of a verified organisation",
                ),
            ),
            Some(ok) => allowed(
                *ok,
                forbidden(
                    "publish for this organisation: it must be verified and you one of its members",
                ),
            ),
        },
        // A listing one may not see is not there, even for its organisation's members (they
        // would change it and then be told it does not exist).
        Action::EditListing { ctx, author } => {
            if !listing_visible(p, ctx) {
                Err(hidden())
            } else if *author {
                Ok(Detail::Full)
            } else {
                Err(forbidden("change someone else's listing"))
            }
        }
        Action::ProposeExchange(ctx) => {
            if !listing_visible(p, ctx) {
                return Err(hidden());
            }
            if ctx.author_id == p.id.0 {
                return Err(forbidden("start an exchange on your own listing"));
            }
            allowed(
                p.has_role(Role::Resident),
                forbidden("exchange help: exchanges are between residents"),
            )
        }
        Action::ViewExchange { party } => {
            allowed(*party || holds_globally(p, MARKET_STAFF), hidden())
        }
        Action::ExchangeStep { step, party } => {
            let either = party.provider || party.receiver;
            let ok = match step {
                Step::Accept => either && !party.proposer,
                Step::Complete => party.provider,
                Step::Confirm => party.receiver,
                Step::Cancel | Step::Dispute | Step::Review => either,
                Step::Message => either || holds_globally(p, MARKET_STAFF),
            };
            if ok {
                Ok(Detail::Full)
            } else if either || holds_globally(p, MARKET_STAFF) {
                Err(forbidden(match step {
                    Step::Accept => "accept an exchange you proposed",
                    Step::Complete => "complete an exchange: the provider does",
                    Step::Confirm => "confirm an exchange: the receiver does",
                    _ => "take this step: only the two parties do",
                }))
            } else {
                Err(hidden())
            }
        }
        Action::MediateExchanges => allowed(
            holds_globally(p, MARKET_STAFF),
            forbidden("mediate exchanges"),
        ),
        Action::CreateOrganisation => Ok(Detail::Full),
        Action::VerifyOrganisation => allowed(
            holds_globally(p, MARKET_STAFF),
            forbidden("verify organisations"),
        ),
        Action::ManageOrganisation { member, visible } => {
            if *member || holds_globally(p, MARKET_STAFF) {
                Ok(Detail::Full)
            } else if *visible {
                Err(forbidden("manage an organisation you are not a member of"))
            } else {
                Err(hidden())
            }
        }
        Action::ReadRoom(ctx) => allowed(room_abilities(actor, ctx).read, hidden()),
        Action::SendIn(ctx) | Action::ModerateRoom(ctx) => {
            let a = room_abilities(actor, ctx);
            let ok = match action {
                Action::SendIn(_) => a.send,
                _ => a.moderate,
            };
            if ok {
                Ok(Detail::Full)
            } else if !a.read {
                Err(hidden())
            } else if matches!(action, Action::SendIn(_)) && ctx.muted {
                Err(AppError::new(ErrorCode::Muted)
                    .with_detail("a moderator has muted you in this room for a while"))
            } else {
                Err(forbidden("do this in this room"))
            }
        }
        // Anyone signed in chats; who with is checked by the chat (blocks, membership, and
        // `people_reach` for groups).
        Action::StartChat => Ok(Detail::Full),
        Action::ListRoomMembers(ctx) => allowed(
            room_abilities(actor, ctx).read || holds_globally(p, ROOM_OVERSEERS),
            hidden(),
        ),
        Action::ManageGroup(ctx) => {
            let a = room_abilities(actor, ctx);
            if !a.read {
                Err(hidden())
            } else if ctx.kind == RoomKind::Group && a.moderate {
                Ok(Detail::Full)
            } else {
                Err(forbidden("rename this room or add people to it"))
            }
        }
        Action::LeaveRoom(ctx) => {
            if !room_abilities(actor, ctx).read {
                Err(hidden())
            } else if ctx.kind == RoomKind::Group && ctx.member {
                Ok(Detail::Full)
            } else {
                Err(forbidden(
                    "leave this room (a community's room is left by leaving the community)",
                ))
            }
        }
        Action::AnswerHelp => allowed(
            holds_anywhere(p, HELPERS),
            forbidden("answer residents' requests for help"),
        ),
    }
}

/// Roles on duty for "talk to a person": they see the help rooms and take them.
const HELPERS: &[Role] = &[Role::Operator, Role::Staff];
/// Roles that see who is in any chat room (not its messages).
const ROOM_OVERSEERS: &[Role] = &[Role::Staff, Role::Admin];
/// Roles that serve every resident: they find (and add to a group) anyone with an account.
const SERVE_EVERYONE: &[Role] = &[Role::SocialWorker, Role::Operator, Role::Staff, Role::Admin];

/// Whom a person may find by name and add to a group room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeopleReach {
    /// Anyone with an account (the roles that serve every resident).
    Anyone,
    /// The people they share a community with: those living in these estates and buildings
    /// (their home's estate, the places their roles serve), the people serving those places
    /// (and everywhere), and the members of their communities of interest (found by the
    /// chat from the memberships).
    Places {
        estates: Vec<i64>,
        buildings: Vec<i64>,
    },
}

/// Whom the actor may find and add to a group room (see [`PeopleReach`]).
pub fn people_reach(actor: &Actor) -> AppResult<PeopleReach> {
    let p = &actor.require()?.principal;
    if holds_globally(p, SERVE_EVERYONE) {
        return Ok(PeopleReach::Anyone);
    }
    let mut estates = Vec::new();
    let mut buildings = Vec::new();
    if let Some(r) = &p.residence {
        estates.push(r.home.estate_id.0);
    }
    for g in &p.grants {
        if !SERVING.contains(&g.role) {
            continue;
        }
        match g.scope {
            Scope::Estate(e) => estates.push(e.0),
            Scope::Building(b) => buildings.push(b.0),
            _ => {}
        }
    }
    estates.sort_unstable();
    estates.dedup();
    buildings.sort_unstable();
    buildings.dedup();
    Ok(PeopleReach::Places { estates, buildings })
}

/// The roles, as stored, of the people serving places (for [`PeopleReach::Places`]).
pub fn serving_roles() -> Vec<&'static str> {
    SERVING.iter().map(|r| r.as_str()).collect()
}

/// Everything the reader may do in a chat room. The one source of chat permissions.
pub fn room_abilities(actor: &Actor, ctx: &RoomCtx) -> RoomAbilities {
    let Some(p) = actor.principal() else {
        return RoomAbilities::default();
    };
    let global_mod = holds_globally(p, GLOBAL_MODERATORS);
    let (read, send, moderate) = match ctx.kind {
        RoomKind::Community => match &ctx.community {
            // The community decides; a community ban also keeps one out of its chat.
            Some(c) => {
                let a = community_abilities(actor, c);
                let read = a.read && !c.banned && !ctx.removed;
                (read, read && a.post && !ctx.muted, read && a.moderate)
            }
            None => (false, false, false),
        },
        RoomKind::Group => {
            let read = ctx.member && !ctx.removed;
            (
                read,
                read && !ctx.muted,
                read && (ctx.room_moderator || global_mod),
            )
        }
        RoomKind::Direct => (ctx.member, ctx.member, false),
        RoomKind::Help => {
            let helper = holds_anywhere(p, HELPERS);
            let read = ctx.help_owner || helper || ctx.member;
            (read, read, helper)
        }
    };
    RoomAbilities {
        read,
        send,
        moderate,
    }
}

/// Whether a listing reaches the reader: its author and staff always; otherwise everyone in
/// the city, the residents of its estate, or of its author's building.
/// Where the listings a reader may see lie, for a query to narrow them down the way
/// [`listing_visible`] decides: `None` for every listing (market staff); else the reader's
/// home (estate, building), whose estate- and building-wide listings they see besides the
/// city-wide ones and their own.
pub fn listing_reach(actor: &Actor) -> Option<(Option<i64>, Option<i64>)> {
    let p = actor.principal()?;
    if holds_globally(p, MARKET_STAFF) {
        return None;
    }
    let home = p.residence.as_ref().map(|r| &r.home);
    Some((home.map(|h| h.estate_id.0), home.map(|h| h.building_id.0)))
}

fn listing_visible(p: &Principal, ctx: &ListingCtx) -> bool {
    use cortile_shared::market::ListingReach;
    if ctx.author_id == p.id.0 || holds_globally(p, MARKET_STAFF) {
        return true;
    }
    let home = p.residence.as_ref().map(|r| &r.home);
    match ctx.reach {
        ListingReach::City => true,
        ListingReach::Estate => home.is_some_and(|h| Some(h.estate_id.0) == ctx.estate_id),
        ListingReach::Building => {
            home.is_some_and(|h| Some(h.building_id.0) == ctx.home_building_id)
        }
    }
}

/// Whether a principal reads a report: its reporter and supporters; the manager's people in
/// their scope; for anything but a home, the residents and committee of its estate.
fn reads_report(p: &Principal, r: &ReportCtx) -> bool {
    r.reporter == Some(p.id.0)
        || r.supporter
        || holds_at(p, MAINTENANCE_STAFF, r.place)
        || (!r.home && holds_at(p, &[Role::Resident, Role::CommitteeMember], r.place))
}

/// An act on a report: 404 for who may not read it, 403 for a reader who may not do this.
fn report_act(p: &Principal, r: &ReportCtx, ok: bool, what: &str) -> AppResult<Detail> {
    if !reads_report(p, r) {
        Err(hidden())
    } else if !ok {
        Err(forbidden(what))
    } else {
        Ok(Detail::Full)
    }
}

/// Whether a person may be assigned reports of this place (one of the manager's people
/// serving it).
pub fn works_on_reports(p: &Principal, place: Place) -> bool {
    holds_at(p, MAINTENANCE_STAFF, place)
}

/// The part of the registry whose maintenance reports the actor works in the queue.
pub fn maintenance_reach(actor: &Actor) -> AppResult<Reach> {
    authorize(actor, &Action::ViewQueue)?;
    let p = &actor.require()?.principal;
    let mut estates = Vec::new();
    let mut buildings = Vec::new();
    for g in p
        .grants
        .iter()
        .filter(|g| MAINTENANCE_STAFF.contains(&g.role))
    {
        match g.scope {
            Scope::Global => return Ok(Reach::All),
            Scope::Estate(e) => estates.push(e.0),
            Scope::Building(b) => buildings.push(b.0),
            Scope::Community(_) => {}
        }
    }
    Ok(Reach::Some { estates, buildings })
}

/// The place of a vertical community: an estate's covers the estate (no building); a
/// building's covers the building.
fn community_place(ctx: &CommunityCtx) -> Option<Place> {
    match ctx.kind {
        CommunityKind::Estate => ctx.estate_id.map(|e| Place {
            estate_id: e,
            building_id: 0,
        }),
        CommunityKind::Building => Some(Place {
            estate_id: ctx.estate_id.unwrap_or(0),
            building_id: ctx.building_id?,
        }),
        CommunityKind::Interest => None,
    }
}

/// Everything the reader may do in a community. The one source of community permissions.
pub fn community_abilities(actor: &Actor, ctx: &CommunityCtx) -> CommunityAbilities {
    let Some(p) = actor.principal() else {
        return CommunityAbilities::default();
    };
    let global_mod = holds_globally(p, GLOBAL_MODERATORS);
    match community_place(ctx) {
        Some(place) => {
            let lives_there = p.residence.as_ref().is_some_and(|r| match ctx.kind {
                CommunityKind::Estate => r.home.estate_id.0 == place.estate_id,
                _ => r.home.building_id.0 == place.building_id,
            });
            let serves = holds_at(p, SERVING, place);
            let member = lives_there || serves;
            let moderate = global_mod || ctx.moderator;
            CommunityAbilities {
                read: member || moderate,
                post: member && !ctx.banned,
                join: false,
                leave: false,
                moderate,
                pin: moderate || holds_at(p, ANNOUNCERS, place),
            }
        }
        None => {
            let active = ctx.status == Some(MemberStatus::Active);
            let moderate = global_mod || (active && ctx.moderator);
            let visible = active
                || ctx.status.is_some()
                || global_mod
                || matches!(ctx.policy, JoinPolicy::Open | JoinPolicy::Approval);
            CommunityAbilities {
                read: active || moderate || (visible && ctx.policy == JoinPolicy::Open),
                post: active && !ctx.banned,
                join: !active
                    && !ctx.banned
                    && ctx.status != Some(MemberStatus::Pending)
                    && (matches!(ctx.policy, JoinPolicy::Open | JoinPolicy::Approval)
                        || ctx.status == Some(MemberStatus::Invited)),
                // Members leave; people waiting withdraw their request.
                leave: active || ctx.status == Some(MemberStatus::Pending),
                moderate,
                pin: moderate,
            }
        }
    }
}

/// Whether the community exists for this reader at all (else it is a 404).
pub fn community_visible(actor: &Actor, ctx: &CommunityCtx) -> bool {
    let a = community_abilities(actor, ctx);
    a.read
        || a.join
        || ctx.status.is_some()
        || (ctx.kind == CommunityKind::Interest && ctx.policy != JoinPolicy::Invite)
}

/// Whether the actor may decide on a change request (for the `can_decide` flag of lists).
pub fn can(actor: &Actor, action: &Action) -> bool {
    authorize(actor, action).is_ok()
}

/// Which part of the registry an actor may search or list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// Everything.
    All,
    /// These estates and these buildings.
    Some {
        estates: Vec<i64>,
        buildings: Vec<i64>,
    },
}

impl Reach {
    pub fn includes(&self, place: Place) -> bool {
        match self {
            Reach::All => true,
            Reach::Some { estates, buildings } => {
                estates.contains(&place.estate_id) || buildings.contains(&place.building_id)
            }
        }
    }
}

/// The part of the registry whose households the actor may find in searches and lists
/// (the union of the scopes of their registry-reading roles).
pub fn registry_reach(actor: &Actor) -> AppResult<Reach> {
    let p = &actor.require()?.principal;
    let mut estates = Vec::new();
    let mut buildings = Vec::new();
    for g in &p.grants {
        let reads = FILE_READERS.contains(&g.role)
            || FILE_READERS_LIMITED.contains(&g.role)
            || PROPOSERS.contains(&g.role)
            || DECIDERS.contains(&g.role);
        if !reads {
            continue;
        }
        match g.scope {
            Scope::Global => return Ok(Reach::All),
            Scope::Estate(e) => estates.push(e.0),
            Scope::Building(b) => buildings.push(b.0),
            Scope::Community(_) => {}
        }
    }
    Ok(Reach::Some { estates, buildings })
}

#[cfg(test)]
mod tests {
    use cortile_shared::auth::GrantSource;
    use cortile_shared::{BuildingId, EstateId, UserId};

    use super::*;
    use crate::auth::{GrantEntry, SignedIn};

    fn actor(id: i64, grants: &[(Role, Scope)]) -> Actor {
        let principal = Principal {
            id: UserId(id),
            display_name: format!("user {id}"),
            username: None,
            fiscal_code: None,
            grants: grants
                .iter()
                .map(|(role, scope)| GrantEntry {
                    role: *role,
                    scope: *scope,
                    source: GrantSource::Granted,
                })
                .collect(),
            residence: None,
        };
        let t = chrono::DateTime::UNIX_EPOCH.naive_utc();
        Actor {
            signed_in: Some(Box::new(SignedIn {
                session_id: 1,
                csrf_token: String::new(),
                principal,
                operator: None,
                assist_purpose: None,
                idle_expires_at: t,
                expires_at: t,
            })),
            ..Actor::default()
        }
    }

    const HERE: Place = Place {
        estate_id: 1,
        building_id: 10,
    };
    const THERE: Place = Place {
        estate_id: 2,
        building_id: 20,
    };

    #[test]
    fn anonymous_is_unauthenticated() {
        let err = authorize(&Actor::anonymous(), &Action::OwnAccount).expect_err("denied");
        assert_eq!(err.code, ErrorCode::Unauthenticated);
    }

    #[test]
    fn scoped_roles_open_files_only_in_their_scope() {
        let custodian = actor(1, &[(Role::Custodian, Scope::Building(BuildingId(10)))]);
        assert_eq!(
            authorize(&custodian, &Action::OpenTenantFile(HERE)).ok(),
            Some(Detail::Full)
        );
        let err = authorize(&custodian, &Action::OpenTenantFile(THERE)).expect_err("denied");
        assert_eq!(err.code, ErrorCode::NotFound, "hidden, not forbidden");
        let committee = actor(2, &[(Role::CommitteeMember, Scope::Estate(EstateId(1)))]);
        assert_eq!(
            authorize(&committee, &Action::OpenTenantFile(HERE)).ok(),
            Some(Detail::Limited)
        );
        let resident = actor(3, &[(Role::Resident, Scope::Building(BuildingId(10)))]);
        assert!(authorize(&resident, &Action::OpenTenantFile(HERE)).is_err());
    }

    #[test]
    fn nobody_decides_their_own_proposal() {
        let staff = actor(5, &[(Role::Staff, Scope::Global)]);
        let own = Action::DecideChange {
            place: HERE,
            proposer: Some(5),
        };
        assert_eq!(
            authorize(&staff, &own).expect_err("denied").code,
            ErrorCode::Forbidden
        );
        let other = Action::DecideChange {
            place: HERE,
            proposer: Some(6),
        };
        assert!(authorize(&staff, &other).is_ok());
        let committee = actor(6, &[(Role::CommitteeMember, Scope::Estate(EstateId(1)))]);
        assert_eq!(
            authorize(&committee, &other).expect_err("denied").code,
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn only_global_admins_read_the_audit_log() {
        assert!(authorize(
            &actor(1, &[(Role::Admin, Scope::Global)]),
            &Action::ViewAuditLog
        )
        .is_ok());
        let scoped = actor(1, &[(Role::Admin, Scope::Estate(EstateId(1)))]);
        assert_eq!(
            authorize(&scoped, &Action::ViewAuditLog)
                .expect_err("denied")
                .code,
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn an_unattached_upload_is_its_owners_alone() {
        let owner = actor(7, &[(Role::Resident, Scope::Building(BuildingId(10)))]);
        assert!(authorize(&owner, &Action::OwnUpload { owner: 7 }).is_ok());
        let admin = actor(8, &[(Role::Admin, Scope::Global)]);
        let err = authorize(&admin, &Action::OwnUpload { owner: 7 }).expect_err("denied");
        assert_eq!(err.code, ErrorCode::NotFound, "hidden, not forbidden");
        let err = authorize(&Actor::anonymous(), &Action::Upload).expect_err("denied");
        assert_eq!(err.code, ErrorCode::Unauthenticated);
    }

    #[test]
    fn exchange_steps_belong_to_their_party() {
        let resident = actor(1, &[(Role::Resident, Scope::Building(BuildingId(10)))]);
        let provider = ExchangeParty {
            provider: true,
            receiver: false,
            proposer: false,
        };
        let receiver = ExchangeParty {
            provider: false,
            receiver: true,
            proposer: true,
        };
        let step = |step, party| authorize(&resident, &Action::ExchangeStep { step, party });
        assert!(step(Step::Accept, provider).is_ok());
        assert!(step(Step::Complete, provider).is_ok());
        assert_eq!(
            step(Step::Confirm, provider)
                .expect_err("the receiver confirms")
                .code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            step(Step::Accept, receiver)
                .expect_err("not who proposed")
                .code,
            ErrorCode::Forbidden
        );
        assert!(step(Step::Confirm, receiver).is_ok());
        assert_eq!(
            step(Step::Cancel, ExchangeParty::default())
                .expect_err("a stranger")
                .code,
            ErrorCode::NotFound
        );
        let staff = actor(2, &[(Role::Staff, Scope::Global)]);
        let none = ExchangeParty::default();
        assert!(authorize(
            &staff,
            &Action::ExchangeStep {
                step: Step::Message,
                party: none
            }
        )
        .is_ok());
        assert_eq!(
            authorize(
                &staff,
                &Action::ExchangeStep {
                    step: Step::Confirm,
                    party: none
                }
            )
            .expect_err("staff resolve, they do not confirm")
            .code,
            ErrorCode::Forbidden
        );
        assert!(authorize(&staff, &Action::MediateExchanges).is_ok());
        assert!(authorize(&resident, &Action::MediateExchanges).is_err());
    }

    #[test]
    fn listings_reach_their_readers() {
        use cortile_shared::market::ListingReach;
        let staff = actor(9, &[(Role::Staff, Scope::Global)]);
        let outsider = actor(3, &[]);
        let ctx = |reach| ListingCtx {
            author_id: 1,
            reach,
            estate_id: Some(1),
            home_building_id: Some(10),
        };
        for reach in [ListingReach::Building, ListingReach::Estate] {
            assert_eq!(
                authorize(&outsider, &Action::ViewListing(ctx(reach)))
                    .expect_err("no home there")
                    .code,
                ErrorCode::NotFound
            );
            assert!(authorize(&staff, &Action::ViewListing(ctx(reach))).is_ok());
            assert!(authorize(&actor(1, &[]), &Action::ViewListing(ctx(reach))).is_ok());
        }
        assert!(authorize(&outsider, &Action::ViewListing(ctx(ListingReach::City))).is_ok());
        assert_eq!(
            authorize(&outsider, &Action::PublishListing { organisation: None })
                .expect_err("not a resident")
                .code,
            ErrorCode::Forbidden
        );
        assert!(authorize(
            &outsider,
            &Action::PublishListing {
                organisation: Some(true)
            }
        )
        .is_ok());
    }

    #[test]
    fn reach_is_the_union_of_scopes() {
        let a = actor(
            1,
            &[
                (Role::Custodian, Scope::Building(BuildingId(10))),
                (Role::CommitteeMember, Scope::Estate(EstateId(2))),
                (Role::Moderator, Scope::Global),
            ],
        );
        let reach = registry_reach(&a).expect("reach");
        assert!(reach.includes(HERE));
        assert!(reach.includes(THERE));
        assert!(!reach.includes(Place {
            estate_id: 3,
            building_id: 30
        }));
        let staff = actor(2, &[(Role::Staff, Scope::Global)]);
        assert_eq!(registry_reach(&staff).expect("reach"), Reach::All);
    }
}
