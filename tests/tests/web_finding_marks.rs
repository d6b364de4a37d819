//! Findings acted on from the web (issue 15, part 6): on a household's page a supervisor hands
//! a finding to the grid's worker, who gets a to-do on the phone, checks it there, and the
//! check comes back to the page; a supervisor marks another finding checked with a note and it
//! leaves the grid's findings list. Refusals (no note, a worker of another grid, no form token)
//! change nothing — against a real server, with a real phone store.

use gridwalk_core::Timestamp;
use gridwalk_core::records::household::{NewVisit, Registration, Relation, VisitPurpose};
use gridwalk_core::rules::findings::FindingKind;
use gridwalk_core::store::finding_marks::FindingAction;
use gridwalk_core::{NewHousehold, NewResident};
use gridwalk_tests::web_client::{Browser, form_token};
use gridwalk_tests::{Device, TestServer};

const ID: &str = "110101198503070013";

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_handed_out_on_the_web_is_checked_on_the_phone_and_leaves_the_lists() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let worker = Device::sign_in(&server.url, "worker.a").await;
    // Two households with the same ID number, the first with a landline; both visited.
    let mut ids = Vec::new();
    for (room, phone) in [("101", Some("010-6552 9988")), ("102", None)] {
        let id = worker
            .store
            .create_household(
                &worker.actor,
                &NewHousehold {
                    residents: vec![NewResident {
                        name: "赵一".into(),
                        id_number: Some(ID.into()),
                        phone: phone.map(Into::into),
                        relation: Relation::Head,
                        registration: Registration::Local,
                        tags: Default::default(),
                    }],
                    ..gridwalk_tests::household("C01-G01", room)
                },
                Timestamp::now(),
            )
            .unwrap();
        worker
            .store
            .record_visit(
                &worker.actor,
                &id,
                &NewVisit {
                    at: Timestamp::now(),
                    purpose: VisitPurpose::Routine,
                    notes: String::new(),
                    location: None,
                    photos: vec![],
                },
                Timestamp::now(),
            )
            .unwrap();
        ids.push(id);
    }
    assert!(worker.sync().await.refused.is_empty());
    let (a, b) = (&ids[0], &ids[1]);
    let resident = worker.store.household(a).unwrap().residents[0]
        .id
        .to_string();

    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);
    let path = format!("/web/households/{a}");
    let (_, page) = me.get(&path).await;
    assert!(
        page.contains("id=\"findings\""),
        "the household's findings are listed"
    );
    assert!(page.contains("非手机号码") && page.contains("同一身份证号多户登记"));
    assert!(page.contains("id=\"finding-not_a_mobile_number-"));
    let token = form_token(&page).unwrap();

    // Refused: a note is needed; a worker of another grid cannot get the to-do.
    let (status, _, body) = me
        .post_from_page(
            &format!("{path}/findings/check"),
            &[
                ("csrf", &token),
                ("kind", "not_a_mobile_number"),
                ("subject", &resident),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        body.contains("id=\"refusal\""),
        "the refusal is on the page"
    );
    let (status, _, _) = me
        .post_from_page(
            &format!("{path}/findings/assign"),
            &[
                ("csrf", &token),
                ("kind", "not_a_mobile_number"),
                ("subject", &resident),
                ("note", "请核对"),
                ("worker", "worker.b"),
            ],
        )
        .await;
    assert_eq!(status, 404);
    // No form token: refused before anything is written.
    let (status, _, _) = me
        .post_from_page(
            &format!("{path}/findings/check"),
            &[
                ("kind", "not_a_mobile_number"),
                ("subject", &resident),
                ("note", "x"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    // Handed to the grid's worker: a to-do on their phone after it syncs.
    let (status, _, _) = me
        .post_from_page(
            &format!("{path}/findings/assign"),
            &[
                ("csrf", &token),
                ("kind", "not_a_mobile_number"),
                ("subject", &resident),
                ("note", "请上门核对电话"),
                ("worker", "worker.a"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    worker.sync().await;
    let todos = worker.store.my_todos(&worker.actor).unwrap();
    assert!(
        todos
            .iter()
            .any(|t| t.kind == "check_finding" && t.note == "请上门核对电话" && t.record_id == *a),
        "{todos:?}"
    );

    // Checked on the phone: the to-do ends, and the page shows who checked it and how.
    worker
        .store
        .mark_finding(
            &worker.actor,
            a,
            FindingKind::NotAMobileNumber,
            &resident,
            &FindingAction::Checked {
                note: "是单位座机，号码无误".into(),
            },
            Timestamp::now(),
        )
        .unwrap();
    assert!(worker.sync().await.refused.is_empty());
    assert!(worker.store.my_todos(&worker.actor).unwrap().is_empty());
    let (_, page) = me.get(&path).await;
    assert!(page.contains("是单位座机，号码无误"), "the check is listed");
    assert!(
        !page.contains("id=\"finding-not_a_mobile_number-"),
        "the finding is no longer to be checked"
    );

    // The supervisor checks the duplicate in A: it leaves the grid's list, B's stays.
    let (status, _, _) = me
        .post_from_page(
            &format!("{path}/findings/check"),
            &[
                ("csrf", &token),
                ("kind", "duplicate_id_number"),
                ("subject", &resident),
                ("note", "与102室为同一人，已在102室登记为准"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, list) = me
        .get("/web/findings?grid=C01-G01&kind=duplicate_id_number")
        .await;
    let list = list.replace("&#x2f;", "/");
    assert!(
        !list.contains(&format!("/web/households/{a}")),
        "A's duplicate is checked"
    );
    assert!(
        list.contains(&format!("/web/households/{b}")),
        "B's is still to be checked"
    );
    // And the phone of the grid has the supervisor's check too.
    worker.sync().await;
    let h = worker.store.household(a).unwrap();
    assert_eq!(h.finding_marks.len(), 3);
}
