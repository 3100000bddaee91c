//! The time bank and the marketplace (issue 5): home (balance, my listings, my exchanges),
//! browsing with filters and a map, a listing, the listing form, an exchange with its steps
//! and messages, the statement, a member's reviews, and the staff's pages (disputes,
//! adjustments, organisations), and giving hours to people directly.

pub mod browse;
pub mod exchange;
pub mod form;
pub mod home;
pub mod listing;
pub mod reviews;
pub mod staff;
pub mod statement;
pub mod transfer;

use cortile_shared::market::{
    Category, Exchange, ExchangeState, Listing, ListingKind, ListingReach, PriceType,
};
use std::cell::RefCell;
use std::rc::Rc;

use cortile_shared::{Page, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::i18n::I18n;

/// The pages of a list after its first (loaded apart, with `use_remote`): the items loaded so
/// far, the cursor of the next page, and the state of the "more" button.
pub struct More<T: 'static> {
    items: UseStateHandle<Vec<T>>,
    /// `None`: nothing loaded past the first page (its own `next` holds); `Some(next)`: the
    /// cursor after the last page loaded here.
    next: UseStateHandle<Option<Option<String>>>,
    loading: UseStateHandle<bool>,
    error: UseStateHandle<Option<ApiError>>,
    /// Bumped by [`More::reset`]: a page asked for before then is dropped when it arrives.
    generation: Rc<RefCell<u64>>,
}

impl<T: 'static> Clone for More<T> {
    fn clone(&self) -> Self {
        More {
            items: self.items.clone(),
            next: self.next.clone(),
            loading: self.loading.clone(),
            error: self.error.clone(),
            generation: self.generation.clone(),
        }
    }
}

#[hook]
pub fn use_more<T>() -> More<T>
where
    T: 'static,
{
    More {
        items: use_state(Vec::new),
        next: use_state(|| None),
        loading: use_state(|| false),
        error: use_state(|| None),
        generation: use_mut_ref(|| 0),
    }
}

impl<T: Clone + 'static> More<T> {
    /// The items loaded past the first page.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The cursor of the page after those loaded, given the first page's.
    pub fn cursor(&self, first: &Option<String>) -> Option<String> {
        match &*self.next {
            Some(next) => next.clone(),
            None => first.clone(),
        }
    }

    /// Forgets the pages loaded (the first page is asked for again, e.g. with new filters).
    pub fn reset(&self) {
        *self.generation.borrow_mut() += 1;
        self.items.set(Vec::new());
        self.next.set(None);
        self.loading.set(false);
        self.error.set(None);
    }

    /// The "more" button (nothing when there is no page after `cursor`), loading with `fetch`.
    pub fn button<F, Fut>(&self, cursor: Option<String>, testid: &'static str, fetch: F) -> Html
    where
        F: Fn(String) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<Page<T>, ApiError>> + 'static,
    {
        let has_more = cursor.is_some();
        let this = self.clone();
        let onclick = Callback::from(move |()| {
            let Some(c) = cursor.clone() else { return };
            if *this.loading {
                return;
            }
            this.loading.set(true);
            let asked_at = *this.generation.borrow();
            let page = fetch(c);
            let this = this.clone();
            crate::hooks::spawn(async move {
                let result = page.await;
                if *this.generation.borrow() != asked_at {
                    return;
                }
                this.loading.set(false);
                match result {
                    Ok(p) => {
                        let mut all = (*this.items).clone();
                        all.extend(p.items);
                        this.items.set(all);
                        this.next.set(Some(p.next));
                        this.error.set(None);
                    }
                    Err(e) => this.error.set(Some(e)),
                }
            });
        });
        crate::pages::community::more_button(
            has_more,
            *self.loading,
            (*self.error).as_ref(),
            testid,
            onclick,
        )
    }
}

/// Minutes in words: "1 h 30 min", "45 min", "−2 h".
pub fn duration_text(i18n: &I18n, minutes: i64) -> String {
    let sign = if minutes < 0 { "−" } else { "" };
    let m = minutes.unsigned_abs();
    let (h, rest) = (m / 60, m % 60);
    let text = match (h, rest) {
        (0, r) => i18n.tf("duration.minutes", &[("minutes", &r.to_string())]),
        (h, 0) => i18n.tf("duration.hours", &[("hours", &h.to_string())]),
        (h, r) => i18n.tf(
            "duration.hours_minutes",
            &[("hours", &h.to_string()), ("minutes", &r.to_string())],
        ),
    };
    format!("{sign}{text}")
}

/// Euro cents as money: "15,00 €" / "€15.00".
pub fn euro_text(i18n: &I18n, cents: i64) -> String {
    i18n.tf(
        "market.euro",
        &[("amount", &i18n.decimal(cents as f64 / 100.0, 2))],
    )
}

pub fn category_text(i18n: &I18n, c: Category) -> String {
    i18n.t(&format!("market.category.{}", c.as_str()))
}

pub fn kind_text(i18n: &I18n, k: ListingKind) -> String {
    i18n.t(&format!("market.kind.{}", k.as_str()))
}

pub fn price_type_text(i18n: &I18n, p: PriceType) -> String {
    i18n.t(&format!("market.price_type.{}", p.as_str()))
}

pub fn reach_text(i18n: &I18n, r: ListingReach) -> String {
    i18n.t(&format!("market.reach.{}", r.as_str()))
}

pub fn state_text(i18n: &I18n, s: ExchangeState) -> String {
    i18n.t(&format!("exchange.state.{}", s.as_str()))
}

/// The price of a listing in words.
pub fn price_text(i18n: &I18n, price_type: PriceType, amount: Option<i64>) -> String {
    match (price_type, amount) {
        (PriceType::Hours, Some(m)) => duration_text(i18n, m),
        (PriceType::Euro, Some(c)) => euro_text(i18n, c),
        _ => i18n.t("market.price_type.free"),
    }
}

/// A field's error in words, with the marketplace's own wording first
/// (`market.field_error.<field>.<code>`).
pub fn market_field_error(i18n: &I18n, error: Option<&ApiError>, field: &str) -> Option<AttrValue> {
    let e = error.and_then(|e| e.field(field))?;
    let own = format!("market.field_error.{}.{}", e.field, e.code);
    Some(AttrValue::from(if i18n.has(&own) {
        i18n.t(&own)
    } else {
        i18n.field_error(e)
    }))
}

/// A field refused before anything is sent, in the server's terms (the field shows it as if
/// the server had said so).
pub fn field_problem(field: &str, code: &str) -> ApiError {
    ApiError::Problem(
        cortile_shared::Problem::new(cortile_shared::ErrorCode::ValidationFailed).with_errors(
            vec![cortile_shared::FieldError::new(
                field,
                code,
                field.to_owned(),
            )],
        ),
    )
}

/// The explanation of a refused step (409s and 403s have their own words).
pub fn step_error_key(error: &ApiError) -> &'static str {
    use cortile_shared::ErrorCode;
    match error.code() {
        Some(ErrorCode::InvalidTransition) => "exchange.error.invalid_transition",
        Some(ErrorCode::InsufficientBalance) => "exchange.error.insufficient_balance",
        Some(ErrorCode::ListingClosed) => "exchange.error.listing_closed",
        Some(ErrorCode::AlreadyReviewed) => "exchange.error.already_reviewed",
        Some(ErrorCode::Conflict) => "exchange.error.conflict",
        _ => error.message_key(),
    }
}

/// A listing in a list: title (link), kind, category, price, place, distance, and its first
/// photo as a thumbnail.
pub fn listing_card(i18n: &I18n, l: &Listing) -> Html {
    let heading = format!("listing-{}-title", l.id);
    html! {
        <li class="card card-bg shadow-sm mb-3 cortile-card" data-testid="listing-card" key={l.id.0}>
            <article class="card-body" aria-labelledby={heading.clone()}>
                if !l.images.is_empty() {
                    <div class="float-end ms-3" data-testid="listing-thumbnail">
                        <crate::pages::community::images::PostImages
                            images={l.images.iter().take(1).cloned().collect::<Vec<_>>()} compact=true />
                    </div>
                }
                <p class="mb-1">
                    <span class="badge bg-primary me-2">{ kind_text(i18n, l.kind) }</span>
                    <span class="badge bg-dark me-2">{ category_text(i18n, l.category) }</span>
                    if l.status == cortile_shared::market::ListingStatus::Closed {
                        <span class="badge bg-danger">{ i18n.t("market.status.closed") }</span>
                    }
                </p>
                <h3 id={heading} class="h5 card-title mb-1">
                    <Link<Route> to={Route::Listing { id: l.id }}>{ l.title.clone() }</Link<Route>>
                </h3>
                <p class="mb-0">
                    <strong>{ price_text(i18n, l.price_type, l.price_amount) }</strong>
                    { " · " }
                    { l.organisation.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| l.author.display_name.clone()) }
                    if let Some(e) = &l.estate {
                        { " · " }{ e.name.clone() }
                    }
                    if let Some(d) = l.distance_m {
                        { " · " }{ distance_text(i18n, d) }
                    }
                </p>
            </article>
        </li>
    }
}

/// A distance in words: "350 m", "1,2 km".
pub fn distance_text(i18n: &I18n, metres: f64) -> String {
    if metres < 1000.0 {
        i18n.tf(
            "market.distance_m",
            &[("m", &i18n.int(metres.round() as i64))],
        )
    } else {
        i18n.tf(
            "market.distance_km",
            &[("km", &i18n.decimal(metres / 1000.0, 1))],
        )
    }
}

/// An exchange in a list: the listing, the people, the minutes, the state. A party sees
/// "con {the other}"; anyone else (staff, on the disputes list) sees both, "{provider} →
/// {receiver}" (read out as "{provider} aiuta {receiver}").
pub fn exchange_item(i18n: &I18n, e: &Exchange, me: Option<UserId>) -> Html {
    let people = if Some(e.provider.id) == me {
        html! { { i18n.tf("exchange.with", &[("name", &e.receiver.display_name)]) } }
    } else if Some(e.receiver.id) == me {
        html! { { i18n.tf("exchange.with", &[("name", &e.provider.display_name)]) } }
    } else {
        html! {
            <span data-testid="exchange-item-people">
                { e.provider.display_name.clone() }
                <span aria-hidden="true">{ " → " }</span>
                <span class="visually-hidden">{ format!(" {} ", i18n.t("exchange.helps")) }</span>
                { e.receiver.display_name.clone() }
            </span>
        }
    };
    html! {
        <li class="list-group-item" data-testid="exchange-item" key={e.id.0}>
            <Link<Route> to={Route::Exchange { id: e.id }}>{ e.listing_title.clone() }</Link<Route>>
            { " · " }{ people }
            if e.minutes > 0 {
                { " · " }{ duration_text(i18n, e.minutes) }
            }
            { " · " }
            <span class="badge bg-dark" data-testid="exchange-item-state">{ state_text(i18n, e.state) }</span>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn durations_in_words() {
        let it = I18n::fixed(Locale::It);
        assert_eq!(duration_text(&it, 90), "1 h 30 min");
        assert_eq!(duration_text(&it, 45), "45 min");
        assert_eq!(duration_text(&it, -120), "−2 h");
        assert_eq!(euro_text(&it, 1550), "15,50 €");
    }

    #[test]
    fn every_word_of_the_marketplace_is_translated() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for c in Category::ALL {
                assert!(i18n.has(&format!("market.category.{}", c.as_str())));
            }
            for k in ListingKind::ALL {
                assert!(i18n.has(&format!("market.kind.{}", k.as_str())));
            }
            for p in PriceType::ALL {
                assert!(i18n.has(&format!("market.price_type.{}", p.as_str())));
            }
            for r in ListingReach::ALL {
                assert!(i18n.has(&format!("market.reach.{}", r.as_str())));
            }
            for s in ExchangeState::ALL {
                assert!(i18n.has(&format!("exchange.state.{}", s.as_str())));
            }
        }
    }
}
