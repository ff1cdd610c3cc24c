use leptos::prelude::*;
use leptos_meta::{Link, Meta, Title};

use crate::site::use_site;

/// The title, description and canonical address every public page carries.
#[component]
pub fn PageMeta(
    title: &'static str,
    description: &'static str,
    /// The page's canonical path, such as `/pricing`.
    path: &'static str,
) -> impl IntoView {
    let site = use_site();
    let full_title = if path == "/" {
        title.to_string()
    } else {
        format!("{title} · Ops Intel")
    };
    view! {
        <Title text=full_title.clone()/>
        <Meta name="description" content=description/>
        <Meta property="og:title" content=full_title/>
        <Meta property="og:description" content=description/>
        <Meta property="og:type" content="website"/>
        <Link rel="canonical" href=site.url(path)/>
    }
}
