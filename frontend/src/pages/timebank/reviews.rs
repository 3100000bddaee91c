//! `/banca-del-tempo/persone/:id/recensioni`: what others said of a member after their
//! exchanges.

use cortile_shared::UserId;
use yew::prelude::*;

use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, Loading};
use crate::hooks::{use_document_title, use_remote, Remote};
use crate::i18n::use_i18n;
use crate::pages::community::time_view;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct MemberReviewsProps {
    pub id: UserId,
}

/// "1 recensione, media 4,0 su 5" / "3 recensioni, media 4,3 su 5".
fn summary(i18n: &crate::i18n::I18n, count: i64, average: f64) -> String {
    i18n.tf(
        "reviews.summary",
        &[
            ("reviews", &i18n.count("reviews.count", count)),
            ("average", &i18n.decimal(average, 1)),
        ],
    )
}

#[function_component(MemberReviewsPage)]
pub fn member_reviews_page(props: &MemberReviewsProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let reviews = {
        let api = session.api();
        use_remote((props.id, api), |(id, api)| async move {
            api.member_reviews(id).await
        })
    };
    let title = match &reviews.state {
        Remote::Ready(r) => Some(i18n.tf("reviews.title", &[("name", &r.member.display_name)])),
        _ => None,
    };
    use_document_title(title.clone());
    let r = match &reviews.state {
        Remote::Loading => return html! { <Loading /> },
        Remote::Failed(e) => {
            return html! { <ErrorState error={e.clone()} retry={reviews.retry.clone()} /> }
        }
        Remote::Ready(r) => r.clone(),
    };
    let title = title.unwrap_or_default();
    let parents = vec![(Route::TimeBank, AttrValue::from(i18n.t("timebank.title")))];
    html! {
        <>
            <Breadcrumb {parents} current={title.clone()} />
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead" data-testid="reviews-summary">{
                match r.average {
                    Some(avg) => summary(&i18n, r.count, avg),
                    None => i18n.t("reviews.none"),
                }
            }</p>
            <ul class="list-unstyled">
                { for r.reviews.iter().map(|rv| html! {
                    <li class="card card-bg shadow-sm mb-3" data-testid="member-review" key={rv.id}>
                        <div class="card-body">
                            <p class="mb-1"><strong>{ i18n.tf("review.stars", &[("rating", &rv.rating.to_string())]) }</strong>
                                { " · " }{ match &rv.listing_title {
                                    Some(title) => i18n.tf("reviews.by", &[("name", &rv.author.display_name), ("title", title)]),
                                    None => i18n.tf("reviews.by_name", &[("name", &rv.author.display_name)]),
                                } }
                                { " · " }{ time_view(&i18n, rv.created_at) }</p>
                            if !rv.body.is_empty() {
                                <p class="mb-0 cortile-pre">{ rv.body.clone() }</p>
                            }
                        </div>
                    </li>
                }) }
            </ul>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use cortile_shared::Locale;

    #[test]
    fn one_review_is_singular() {
        let it = I18n::fixed(Locale::It);
        assert_eq!(summary(&it, 1, 4.0), "1 recensione, media 4,0 su 5");
        assert_eq!(summary(&it, 3, 4.333), "3 recensioni, media 4,3 su 5");
        let en = I18n::fixed(Locale::En);
        assert_eq!(summary(&en, 1, 5.0), "1 review, average 5.0 out of 5");
    }
}
