//! "How we test this": for each statement of the Security page, how it is checked and the tests
//! that check it, by file and name. The table here is the Security page's proof: a test below
//! fails when a statement shown there has no entry, or an entry names a test that does not exist.
//!
//! The table stays on the server: the page reads it through [`security_proofs`], so its text is
//! not part of the code every visitor's browser loads first.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    auth::client::CsrfClient,
    components::{page_meta::PageMeta, problem::LoadProblem},
    error::AppError,
};

/// A statement shown on the Security page, with how it is proven.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proven {
    pub id: String,
    pub title: String,
    pub how: String,
    pub tests: Vec<String>,
}

/// The statements the Security page shows, in its order, each with its proof.
#[server(endpoint = "site/security_proofs", client = CsrfClient)]
pub async fn security_proofs() -> Result<Vec<Proven>, AppError> {
    crate::access::public()?;
    Ok(table::shown())
}

#[cfg(feature = "ssr")]
mod table {
    use super::Proven;
    use crate::pages::security::COMMITMENTS;

    /// How one statement is proven.
    pub struct Proof {
        /// The statement, by its anchor on the Security page.
        pub commitment: &'static str,
        /// How the tests check it, in words for anyone.
        pub how: &'static str,
        /// The tests, as `path::name`: a Rust test function, a browser test's title, or a check
        /// in a script, named by a line of the file.
        pub tests: &'static [&'static str],
    }

    pub fn shown() -> Vec<Proven> {
        COMMITMENTS
            .iter()
            .filter(|c| c.built)
            .filter_map(|c| {
                PROOFS
                    .iter()
                    .find(|p| p.commitment == c.id)
                    .map(|p| Proven {
                        id: c.id.to_string(),
                        title: c.title.to_string(),
                        how: p.how.to_string(),
                        tests: p.tests.iter().map(|t| t.to_string()).collect(),
                    })
            })
            .collect()
    }

    pub const PROOFS: &[Proof] = &[
        Proof {
            commitment: "in-transit",
            how: "A test connects with TLS 1.3 and with TLS 1.2, and both work; another sends a TLS 1.1 \
                  greeting and gets only a refusal. The same checks run against our production web \
                  server set-up, which must also send plain-HTTP visitors on to HTTPS, and every answer \
                  over HTTPS must carry Strict-Transport-Security for a year, subdomains included.",
            tests: &[
                "server/tests/api/tls.rs::tls_1_2_and_1_3_handshakes_complete",
                "server/tests/api/tls.rs::tls_1_1_is_refused",
                "server/tests/api/http.rs::hsts_is_sent_when_users_reach_us_over_https",
                "server/tests/api/proxy.rs::through_nginx_the_recorded_address_is_the_one_nginx_saw",
                "scripts/deploy-check.sh::nginx: TLS, redirect, body limit; systemd unit verifies",
            ],
        },
        Proof {
            commitment: "private-database",
            how: "A test starts our database the way we run it and asks how it listens: it must have no \
                  network address at all, only a local socket that its owner alone can use. The \
                  production-shape check runs two copies of the application that reach the database \
                  only through the connection pool.",
            tests: &[
                "server/tests/api/private_cluster.rs::the_private_cluster_listens_only_on_its_own_socket",
                "scripts/deploy-check.sh::a. a session started on instance A works on instance B",
                "scripts/deploy-check.sh::b. two organisations under load through PgBouncer: no answer carries the other's data",
            ],
        },
        Proof {
            commitment: "passwords",
            how: "Tests compare our hashes with known answers for Django's settings: hashes made by \
                  Django are accepted here, and Django itself accepts hashes made here; any other \
                  algorithm or a malformed value is refused. An account moved from Django signs in with \
                  its old password. A new account stays unverified until its emailed link is used, and \
                  the link works once.",
            tests: &[
                "app/src/auth/password.rs::matches_known_answers_at_every_django_default",
                "app/src/auth/password.rs::rejects_other_algorithms_and_malformed_strings",
                "server/tests/api/django_passwords.rs::hashes_made_by_django_verify_and_ask_for_a_rehash_unless_current",
                "server/tests/api/django_passwords.rs::hashes_made_here_verify_in_django",
                "server/tests/api/accounts.rs::django_hashes_are_upgraded_on_sign_in_and_untouched_by_failures",
                "server/tests/api/django_import.rs::imported_users_sign_in_with_their_django_passwords_and_bad_rows_are_reported",
                "server/tests/api/accounts.rs::sign_up_verify_sign_in_and_sign_out",
                "end2end/tests/accounts.spec.ts::an unverified account sees only the verify page, with a resend button",
            ],
        },
        Proof {
            commitment: "two-factor",
            how: "A test turns two-factor on and signs in: the password alone is not enough, a wrong \
                  code is refused, and a code that has worked once is refused the next time. Each \
                  recovery code works once. An Owner requires two-factor, and members without it then \
                  see none of the organisation's data. Each of the four named actions is refused when \
                  the last proof is eleven minutes old, and allowed once a password or code is given.",
            tests: &[
                "app/src/auth/two_factor/totp.rs::codes_match_rfc_6238s_test_vectors",
                "server/tests/api/two_factor.rs::sign_in_with_two_factor_takes_a_second_step_and_each_code_works_once",
                "server/tests/api/two_factor.rs::a_recovery_code_signs_in_once_and_the_user_is_told_how_many_remain",
                "server/tests/api/two_factor.rs::an_organisation_can_require_two_factor_and_members_without_it_see_none_of_its_data",
                "server/tests/api/two_factor.rs::dangerous_actions_are_refused_without_a_recent_proof_and_allowed_after_one",
                "end2end/tests/two-factor.spec.ts::enable two-factor, then sign in with a code and with a recovery code, and be refused a wrong code",
            ],
        },
        Proof {
            commitment: "session-cookies",
            how: "A test reads the session cookie the server sets: it must carry Secure, HttpOnly and \
                  SameSite=Lax, the __Host- prefix and no Domain. The same cookie is checked behind a \
                  real HTTPS proxy and in the production set-up, and the settings keep Secure on \
                  everywhere but local development over plain HTTP.",
            tests: &[
                "server/tests/api/accounts.rs::the_session_cookie_is_http_only_lax_and_host_only",
                "server/tests/api/proxy.rs::through_nginx_the_recorded_address_is_the_one_nginx_saw",
                "server/src/config.rs::cookies_are_secure_everywhere_but_local_http_development",
                "scripts/deploy-check.sh::instance A set no __Host- session cookie",
            ],
        },
        Proof {
            commitment: "forged-requests",
            how: "A test calls every action of the application with no anti-forgery token and with a \
                  wrong one: each is refused and nothing in the database changes. A form with a valid \
                  token sent from another site is refused while the same form from our pages works, \
                  and a token issued before sign-in stops working at sign-in.",
            tests: &[
                "server/tests/api/accounts.rs::every_server_function_refuses_a_request_without_a_valid_csrf_token",
                "server/tests/api/accounts.rs::a_cross_site_form_post_is_refused_even_with_the_token",
                "server/tests/api/session_hygiene.rs::the_csrf_token_from_before_sign_in_stops_working_at_sign_in",
                "server/tests/api/session_hygiene.rs::a_post_to_a_webhook_path_needs_a_csrf_token_like_any_other",
                "server/src/csrf.rs::without_fetch_metadata_the_origin_must_be_ours",
            ],
        },
        Proof {
            commitment: "isolation",
            how: "A test checks that every table holding an organisation's data has row-level security \
                  switched on and forced. Connected as the application's database role, a query with \
                  no filter sees nothing until an organisation is chosen, then only that \
                  organisation's rows; every attempt to switch the protection off or take a stronger \
                  role fails, and the server refuses to start under a role that could get around it. \
                  Under load through the connection pool, no answer carries another organisation's data.",
            tests: &[
                "server/tests/api/tenancy.rs::every_tenant_table_is_keyed_by_org_id_and_forces_row_level_security",
                "server/tests/api/tenancy.rs::the_application_role_sees_only_the_current_tenant_and_cannot_switch_isolation_off",
                "server/tests/api/tenancy.rs::the_server_refuses_to_run_as_a_role_that_could_get_around_isolation",
                "server/tests/api/jobs.rs::a_job_sees_only_its_own_organisations_rows",
                "scripts/deploy-check.sh::b. two organisations under load through PgBouncer: no answer carries the other's data",
            ],
        },
        Proof {
            commitment: "roles",
            how: "A test calls every action of the application as an Owner, an Admin, a Manager and a \
                  Viewer, and checks that each is allowed or refused exactly as the published roles \
                  table says; a refusal names what is missing and is recorded. An action that does not \
                  declare who may use it has its answer withheld, so no endpoint can skip the check.",
            tests: &[
                "app/src/roles.rs::roles_allow_exactly_what_the_matrix_says",
                "server/tests/api/tenancy.rs::every_server_function_allows_exactly_what_the_roles_matrix_says_and_never_crosses_tenants",
                "server/tests/api/tenancy.rs::refusals_are_audited_and_other_tenants_objects_are_not_found",
                "server/tests/api/accounts.rs::a_server_function_that_declares_nothing_has_its_response_withheld",
            ],
        },
        Proof {
            commitment: "no-secrets",
            how: "A scanner knows the shapes of Stripe, SendGrid, Anthropic and Google keys and of \
                  private keys, and a test first proves it catches each. Another test scans every \
                  file in the repository and every change in its history, and fails on a key. A \
                  production start without the keys in its environment fails and names each one.",
            tests: &[
                "server/tests/api/no_secrets.rs::the_scanner_recognises_each_key_format",
                "server/tests/api/no_secrets.rs::no_tracked_file_holds_a_secret",
                "server/tests/api/no_secrets.rs::no_change_in_the_history_added_a_secret",
                "server/src/config.rs::production_names_every_missing_variable",
            ],
        },
        Proof {
            commitment: "no-card-numbers",
            how: "In a test subscription, a card number is typed on (a stand-in for) Stripe's payment \
                  page; every text column of our database is then searched for it and it is found \
                  nowhere. Another test checks that the only card columns are brand, last four digits, \
                  expiry month and year, and that the database refuses a full card number in them.",
            tests: &[
                "server/tests/api/billing.rs::subscribing_through_checkout_raises_the_limits_and_keeps_only_the_cards_description",
                "server/tests/api/billing.rs::no_column_of_the_schema_could_hold_a_card_number_or_security_code",
                "end2end/tests/billing.spec.ts::an Owner upgrades through Stripe's Checkout and back; an Admin sees the page without its buttons; a Manager is refused",
            ],
        },
        Proof {
            commitment: "sub-processors",
            how: "A test shows that a new organisation has AI off and nothing is sent; only Owners and \
                  Admins can switch it on. With AI on, tests read exactly what reaches the AI service: \
                  the customer's own words without quoted history or signature, business names, and \
                  the asking member's first name. A marker planted in a customer email is found only \
                  in the stored message, and the record of each request holds what the page says.",
            tests: &[
                "server/tests/api/ai.rs::with_ai_off_or_no_allowance_nothing_is_sent",
                "end2end/tests/ai.spec.ts::with AI off, the controls say why they are absent and nothing is sent",
                "server/src/ai/prompt.rs::only_own_words_and_first_names_are_sent",
                "server/tests/api/ai.rs::a_new_thread_is_triaged_recorded_accepted_and_filtered_by",
                "server/tests/api/ai.rs::email_content_stays_data_and_is_kept_nowhere_else",
                "server/tests/api/ai.rs::a_draft_waits_for_a_person_and_the_answer_records_how_it_began",
            ],
        },
        Proof {
            commitment: "disclosure",
            how: "A test fetches our security.txt: plain text with exactly one contact (the configured \
                  address), one expiry in the coming year, and the canonical and policy addresses RFC \
                  9116 describes; an expiry in the past cannot be configured. The policy it names \
                  states the process and the same contact.",
            tests: &[
                "server/tests/api/http.rs::security_txt_has_one_contact_and_one_future_expiry",
                "server/src/config.rs::a_past_security_txt_expiry_is_refused",
                "end2end/tests/public-site.spec.ts::security.txt follows RFC 9116 with one future expiry",
                "end2end/tests/public-site.spec.ts::the disclosure policy security.txt names states the process and the contact",
            ],
        },
        Proof {
            commitment: "breaches",
            how: "Our staff keep a register of incidents in which each one's 72 hours run from its \
                  discovery, and the page says what is overdue. A test runs an incident from discovery \
                  to closure: the assessment, the decision to report, the report to the ICO with its \
                  reference, and one notice sent through our email service to everyone affected, chosen \
                  by organisation and by person; each affected person gets exactly one, someone who \
                  joins later gets theirs too, and nobody else gets any. The register cannot be \
                  changed or deleted after the fact, only added to, and only staff named from our \
                  servers' command line, signed in with two-factor, can reach it.",
            tests: &[
                "server/tests/api/staff.rs::an_incident_runs_from_discovery_to_closure_and_each_affected_person_gets_one_notice",
                "server/tests/api/staff.rs::the_register_is_append_only_and_support_access_is_recorded_for_the_organisation",
                "server/tests/api/staff.rs::only_the_command_line_makes_staff_and_only_staff_with_two_factor_reach_the_register",
                "app/src/staff/register.rs::the_clock_runs_72_hours_from_discovery_until_the_report",
                "end2end/tests/staff.spec.ts::a staff member runs an incident and the affected person receives the notice",
            ],
        },
    ];
}

#[component]
pub fn SecurityTestingPage() -> impl IntoView {
    let proofs = Resource::new(|| (), |_| security_proofs());
    view! {
        <PageMeta
            title="How we test our security commitments"
            description="For each statement on the Ops Intel Security page, how an automated test \
                         checks that it stays true, and which tests they are."
            path="/security/testing"
        />
        <article class="container prose">
            <h1>"How we test our security commitments"</h1>
            <p class="lede">"Every statement on our "<a href="/security">"Security page"</a>" is \
                checked by automated tests that run before any change is released. A change that \
                makes a statement untrue fails them and is not released. Here is how each is \
                checked, and the tests by name."</p>
            <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match proofs.await {
                        Ok(proofs) => proofs.into_iter().map(|p| view! { <Statement p/> }).collect_view().into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </article>
    }
}

#[component]
fn Statement(p: Proven) -> impl IntoView {
    let count = format!("The tests ({})", p.tests.len());
    view! {
        <section id=p.id.clone() aria-labelledby=format!("{}-title", p.id)>
            <h2 id=format!("{}-title", p.id)>{p.title}</h2>
            <p>{p.how}</p>
            <details>
                <summary>{count}</summary>
                <ul class="tests">
                    {p.tests.into_iter().map(|t| view! { <li><code>{t}</code></li> }).collect_view()}
                </ul>
            </details>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::table::PROOFS;
    use crate::pages::security::COMMITMENTS;
    use std::path::Path;

    /// Whether the repository has the test `reference` names (`path::name`).
    fn exists(reference: &str) -> Result<(), String> {
        let (path, name) = reference
            .split_once("::")
            .ok_or_else(|| format!("{reference}: not path::name"))?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let source = std::fs::read_to_string(root.join(path))
            .map_err(|e| format!("{reference}: {path} cannot be read ({e})"))?;
        let found = match Path::new(path).extension().and_then(|e| e.to_str()) {
            // A Rust function with a test attribute on one of the lines above it.
            Some("rs") => source.lines().enumerate().any(|(i, line)| {
                line.trim_start()
                    .trim_start_matches("pub ")
                    .trim_start_matches("async ")
                    .starts_with(&format!("fn {name}("))
                    && source
                        .lines()
                        .skip(i.saturating_sub(3))
                        .take(3.min(i))
                        .any(|l| l.trim_start().starts_with("#[") && l.contains("test"))
            }),
            // A browser test by its title.
            Some("ts") => ["test(\"", "test(`"]
                .iter()
                .any(|open| source.contains(&format!("{open}{name}"))),
            // A check in a script, by a line of it.
            _ => source.lines().any(|l| l.contains(name)),
        };
        found
            .then_some(())
            .ok_or_else(|| format!("{reference}: no such test in {path}"))
    }

    #[test]
    fn every_statement_shown_on_the_security_page_names_tests_that_exist() {
        let mut problems = Vec::new();
        for c in COMMITMENTS.iter().filter(|c| c.built) {
            match PROOFS.iter().filter(|p| p.commitment == c.id).count() {
                1 => {}
                0 => problems.push(format!("\"{}\" is shown with no proof", c.title)),
                _ => problems.push(format!("\"{}\" has more than one entry", c.title)),
            }
        }
        for p in PROOFS {
            if !COMMITMENTS.iter().any(|c| c.id == p.commitment && c.built) {
                problems.push(format!("{}: no such statement shown", p.commitment));
            }
            if p.tests.is_empty() || p.how.trim().is_empty() {
                problems.push(format!("{}: no tests or no explanation", p.commitment));
            }
            problems.extend(p.tests.iter().filter_map(|t| exists(t).err()));
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_test_that_is_not_there_is_not_taken_as_proof() {
        assert!(exists(
            "app/src/pages/security_testing.rs::a_test_that_is_not_there_is_not_taken_as_proof"
        )
        .is_ok());
        assert!(
            exists("app/src/pages/security_testing.rs::exists").is_err(),
            "a helper is not a test"
        );
        assert!(exists("app/src/pages/security_testing.rs::no_such_test").is_err());
        assert!(exists("end2end/tests/nowhere.spec.ts::anything").is_err());
        assert!(exists("no separator").is_err());
    }
}
