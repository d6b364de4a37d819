//! A supervisor withdraws a rectification order on the web (issue 15, part 6: "cancel with a
//! reason"): a reason and a ticked confirmation are needed, a supervisor of another area is
//! refused, and the withdrawal reaches the company's phone, ending its to-do — against a real
//! server, with real phone stores.

use gridwalk_core::Timestamp;
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::OrderAction;
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::web_client::{Browser, form_token};
use gridwalk_tests::{Device, PASSWORD, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn an_order_withdrawn_on_the_web_with_a_reason_ends_on_the_companys_phone() {
    let dir = tempfile::tempdir().unwrap();
    gridwalk_tests::seed(dir.path());
    let data =
        gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60)).unwrap();
    let other: ScopeGrant = "community:C02".parse().unwrap();
    data.accounts
        .add_user(
            "supervisor2",
            "另一社区",
            gridwalk_core::Role::Supervisor,
            PASSWORD,
            &[other],
        )
        .unwrap();
    drop(data);
    let server = TestServer::start(dir.path());
    let inspector = Device::sign_in(&server.url, "inspector").await;
    let id = inspector
        .store
        .create_order(
            &inspector.actor,
            &NewOrder {
                title: "消防通道堆物".into(),
                compound: "Q1".into(),
                company: "P01".into(),
                deadline: Timestamp(Timestamp::now().0 + 3 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "楼道堆放杂物".into(),
                    severity: Severity::Major,
                    before_photos: vec![],
                }],
                from_report: None,
            },
            Timestamp::now(),
        )
        .unwrap();
    inspector
        .store
        .act_on_order(&inspector.actor, &id, &OrderAction::Issue, Timestamp::now())
        .unwrap();
    inspector.sync().await;
    let company = Device::sign_in(&server.url, "company").await;
    company.sync().await;
    assert!(
        company
            .store
            .my_todos(&company.actor)
            .unwrap()
            .iter()
            .any(|t| t.record_id == id),
        "the order is the company's to-do"
    );

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let path = format!("/web/orders/{id}");
    let (_, page) = me.get(&path).await;
    assert!(page.contains("id=\"cancel\"") && page.contains("撤销整改单"));
    let token = form_token(&page).unwrap();
    let cancel = format!("{path}/cancel");

    // Unconfirmed, or without a reason: refused, in Chinese, nothing written.
    let (status, _, page) = me
        .post_from_page(&cancel, &[("csrf", &token), ("note", "重复下发")])
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("请勾选确认"), "{page}");
    let (status, _, page) = me
        .post_from_page(
            &cancel,
            &[("csrf", &token), ("note", " "), ("confirm", "1")],
        )
        .await;
    assert_eq!(status, 409);
    assert!(page.contains("撤销整改单须写明原因"), "{page}");
    // Another area's supervisor: refused.
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let stranger_token = stranger.form_token().await;
    let (status, _, _) = stranger
        .post_from_page(
            &cancel,
            &[
                ("csrf", &stranger_token),
                ("note", "重复下发"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        inspector.store.order(&id).unwrap().state.status,
        OrderStatus::Issued
    );

    let (status, location, _) = me
        .post_from_page(
            &cancel,
            &[
                ("csrf", &token),
                ("note", "与上周整改单重复，撤销"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=cancel"));
    let (_, page) = me.get(&location).await;
    assert!(page.contains("整改单已撤销"), "{page}");
    assert!(!page.contains("id=\"cancel\""), "nothing left to withdraw");

    // The company's phone: the order withdrawn by the supervisor, its to-do gone.
    company.sync().await;
    let on_phone = company.store.order(&id).unwrap();
    assert_eq!(on_phone.state.status, OrderStatus::Cancelled);
    let last = &on_phone.state.history.last().unwrap().event;
    assert_eq!(
        (last.kind.as_str(), last.by.as_str()),
        ("cancel", "supervisor")
    );
    assert_eq!(last.note, "与上周整改单重复，撤销");
    assert!(
        !company
            .store
            .my_todos(&company.actor)
            .unwrap()
            .iter()
            .any(|t| t.record_id == id),
        "nothing left to do"
    );
}
