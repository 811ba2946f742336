//! [`suspended`]: a view that waits for resources, built once per request
//! on the server.
//!
//! Leptos renders a `Suspense` on the server in two passes: a dry run
//! (`dry_resolve`, to find the resources its children read), then the
//! page. Every reactive function in a view the dry run reaches
//! (`move || …`, `<Outlet/>`, `<For/>`) builds its view in each pass, so
//! the Team page's shell, table and rows were built two or three times per
//! request, and each copy's resources serialised into the page again
//! (`bench/instructions.sh`: 15–16 million instructions a `/team`, of which
//! half was allocation). On the server [`suspended`] hides its view from
//! the dry runs ([`BuiltOnce`]), so each view is built once, when it is
//! rendered. The resources it reads are still waited for: they are read
//! with `.await` inside the future, and a nested `Suspense` or
//! `Transition` waits for its own. The HTML is the same. In the browser it
//! is the reactive `move || Suspend::new(…)` the screens wrote before, in
//! the one shared function type the `view!` macro gives such closures.
//!
//! Our own type because Leptos has no way to leave a view out of the dry
//! run; it only delegates to the `AnyView` inside.

use leptos::prelude::*;

/// A view that waits for `view`'s future (which awaits resources); in the
/// browser it runs again whenever a resource it read changes.
pub fn suspended<F, Fut, V>(view: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = V> + Send + 'static,
    V: IntoView + 'static,
{
    #[cfg(feature = "ssr")]
    {
        let future = view();
        Suspend::new(async move { server::BuiltOnce(future.await.into_any()) })
    }
    // As the `view!` macro does with `{move || …}` under `erase_components`:
    // one shared function type, so every site shares one monomorphisation
    // (a closure type of its own per site cost 14 KB of gzipped wasm).
    #[cfg(not(feature = "ssr"))]
    {
        let reactive: leptos::tachys::reactive_graph::SharedReactiveFunction<Suspend<AnyView>> =
            std::sync::Arc::new(std::sync::Mutex::new(move || {
                let future = view();
                Suspend::new(async move { future.await.into_any() })
            }));
        reactive
    }
}

#[cfg(feature = "ssr")]
mod server {
    use leptos::tachys::html::attribute::Attribute;
    use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
    use leptos::tachys::hydration::Cursor;
    use leptos::tachys::ssr::StreamBuilder;
    use leptos::tachys::view::add_attr::AddAnyAttr;
    use leptos::tachys::view::any_view::AnyView;
    use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

    /// A view that a dry run passes over (see the module doc); everything
    /// else is the view's own.
    pub struct BuiltOnce(pub AnyView);

    impl Render for BuiltOnce {
        type State = <AnyView as Render>::State;

        fn build(self) -> Self::State {
            self.0.build()
        }

        fn rebuild(self, state: &mut Self::State) {
            self.0.rebuild(state);
        }
    }

    impl AddAnyAttr for BuiltOnce {
        type Output<SomeNewAttr: Attribute> = <AnyView as AddAnyAttr>::Output<SomeNewAttr>;

        fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
        where
            Self::Output<NewAttr>: RenderHtml,
        {
            self.0.add_any_attr(attr)
        }
    }

    impl RenderHtml for BuiltOnce {
        type AsyncOutput = Self;
        type Owned = Self;
        const MIN_LENGTH: usize = 0;

        fn dry_resolve(&mut self) {}

        async fn resolve(self) -> Self::AsyncOutput {
            Self(self.0.resolve().await)
        }

        fn html_len(&self) -> usize {
            self.0.html_len()
        }

        fn to_html_with_buf(
            self,
            buf: &mut String,
            position: &mut Position,
            escape: bool,
            mark_branches: bool,
            extra_attrs: Vec<AnyAttribute>,
        ) {
            self.0
                .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
        }

        fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
            self,
            buf: &mut StreamBuilder,
            position: &mut Position,
            escape: bool,
            mark_branches: bool,
            extra_attrs: Vec<AnyAttribute>,
        ) {
            self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
                buf,
                position,
                escape,
                mark_branches,
                extra_attrs,
            );
        }

        fn hydrate<const FROM_SERVER: bool>(
            self,
            cursor: &Cursor,
            position: &PositionState,
        ) -> Self::State {
            self.0.hydrate::<FROM_SERVER>(cursor, position)
        }

        fn into_owned(self) -> Self::Owned {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every view that waits goes through `suspended`: a `Suspend::new`
    /// anywhere else would be built twice per request on the server again.
    #[test]
    fn no_screen_makes_its_own_suspend() {
        fn visit(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(&path, found);
                } else if path.extension().is_some_and(|ext| ext == "rs")
                    && !path.ends_with("components/suspended.rs")
                    && std::fs::read_to_string(&path)
                        .unwrap()
                        .contains("Suspend::new")
                {
                    found.push(path.display().to_string());
                }
            }
        }
        let mut found = Vec::new();
        visit(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.is_empty(), "use components::suspended in {found:?}");
    }
}
