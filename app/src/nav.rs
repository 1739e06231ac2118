//! The app's top-level destinations, in the order they appear in the sidebar and the bottom bar.

/// One destination of the main navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavItem {
    /// Route path, also the link target.
    pub path: &'static str,
    /// Stable handle for end-to-end tests (`nav-<key>` on the link, `page-<key>` on the page) and
    /// the label's key in `locales/*.json` (`nav.<key>`, short enough for a 390 px bottom bar).
    pub key: &'static str,
    /// SVG path data of the 24×24 outline icon.
    pub icon: &'static str,
}

/// Six destinations: a phone's bottom bar still gives each a 65 px wide target at 390 px.
pub const NAV_ITEMS: [NavItem; 6] = [
    NavItem {
        path: "/",
        key: "today",
        icon: "M12 3v2M12 19v2M5 12H3M21 12h-2M6.3 6.3 4.9 4.9M19.1 19.1l-1.4-1.4M6.3 17.7l-1.4 1.4M19.1 4.9l-1.4 1.4M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8z",
    },
    NavItem {
        path: "/parties",
        key: "parties",
        icon: "M16 20v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 10a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM22 20v-2a4 4 0 0 0-3-3.9M16 2.1a4 4 0 0 1 0 7.8",
    },
    NavItem { path: "/deals", key: "deals", icon: "M3 4h4v16H3zM10 4h4v10h-4zM17 4h4v6h-4z" },
    NavItem {
        path: "/tasks",
        key: "tasks",
        icon: "M9 11l3 3 8-8M20 12v7a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h9",
    },
    NavItem {
        path: "/tickets",
        key: "tickets",
        icon: "M3 8V6h18v2a2 2 0 0 0 0 4v2a2 2 0 0 0 0 4v2H3v-2a2 2 0 0 0 0-4v-2a2 2 0 0 0 0-4zM9 6v14",
    },
    NavItem {
        path: "/settings",
        key: "settings",
        icon: "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_paths_are_unique() {
        for (i, a) in NAV_ITEMS.iter().enumerate() {
            for b in &NAV_ITEMS[i + 1..] {
                assert_ne!(a.key, b.key);
                assert_ne!(a.path, b.path);
            }
        }
    }
}
