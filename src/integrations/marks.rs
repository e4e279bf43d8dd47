//! Each provider's mark: a small inline SVG of our own (simple shapes in the provider's
//! colours, not its artwork), on the selection cards, the Integrations cards and in lists.
use leptos::prelude::*;

use crate::domain::Card;

/// Decorative: the provider's name is always written beside it.
pub fn provider_mark(card: Card) -> impl IntoView {
    let shapes = match card {
        // A dark tile with an orange smile that ends in an arrowhead.
        Card::Aws => view! {
            <rect width="32" height="32" rx="6" fill="#232f3e" />
            <path d="M7 18c5 4 13 4 18 0" fill="none" stroke="#ff9900" stroke-width="2.6" stroke-linecap="round" />
            <path d="M21.5 15.5l4 2.2-1.4 4.3" fill="none" stroke="#ff9900" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
            <rect x="8" y="8" width="16" height="3" rx="1.5" fill="#ffffff" opacity="0.9" />
        }
        .into_any(),
        // Two blue slanted strokes forming an open "A".
        Card::Azure => view! {
            <rect width="32" height="32" rx="6" fill="#e8f2fc" />
            <path d="M13.5 6h5L11 26H5z" fill="#0078d4" />
            <path d="M17.5 12l9.5 14H12.5l6-2.5-3-5.5z" fill="#50a0e6" />
        }
        .into_any(),
        // Four coloured squares.
        Card::Microsoft => view! {
            <rect width="32" height="32" rx="6" fill="#f3f3f3" />
            <rect x="6" y="6" width="9.5" height="9.5" fill="#f25022" />
            <rect x="16.5" y="6" width="9.5" height="9.5" fill="#7fba00" />
            <rect x="6" y="16.5" width="9.5" height="9.5" fill="#00a4ef" />
            <rect x="16.5" y="16.5" width="9.5" height="9.5" fill="#ffb900" />
        }
        .into_any(),
        // An orange hexagon with a ship's wheel: containers on AWS.
        Card::Eks => view! {
            <rect width="32" height="32" rx="6" fill="#232f3e" />
            <path d="M16 4.5l10 5.75v11.5L16 27.5 6 21.75v-11.5z" fill="none" stroke="#ff9900" stroke-width="2.2" stroke-linejoin="round" />
            <circle cx="16" cy="16" r="4.2" fill="none" stroke="#ffffff" stroke-width="2" />
            <path d="M16 9.5v2.3M16 20.2v2.3M9.5 16h2.3M20.2 16h2.3" stroke="#ffffff" stroke-width="2" stroke-linecap="round" />
        }
        .into_any(),
    };
    view! {
        <svg class="mark" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
            {shapes}
        </svg>
    }
}
