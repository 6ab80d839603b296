//! What a failed collection's error means, in plain English, for the reason of a
//! subscription without evidence: the error code Azure returned (or the sign-in message az
//! and Az PowerShell print) and what the collector has to do about it.

/// Known error codes and messages, each with what it means. Matched as whole words, in
/// this order (a specific code before the HTTP status that carries it).
const CAUSES: &[(&str, &str)] = &[
    (
        "AuthorizationFailed",
        "the identity that collected it lacks read access to Microsoft.Security/settings \
         on the subscription (Security Reader or Reader is enough)",
    ),
    (
        "SubscriptionNotFound",
        "the subscription does not exist in the tenant that was signed in to, or the \
         identity cannot see it",
    ),
    (
        "ExpiredAuthenticationToken",
        "the sign-in had expired when it was collected: sign in again and collect it again",
    ),
    (
        "InvalidAuthenticationToken",
        "the access token was not valid for Azure Resource Manager: sign in again and \
         collect it again",
    ),
    (
        "InvalidAuthenticationTokenTenant",
        "the token was issued by another tenant than the subscription's: sign in to the \
         subscription's tenant",
    ),
    (
        "MissingSubscriptionRegistration",
        "the Microsoft.Security resource provider is not registered on the subscription",
    ),
    (
        "SubscriptionNotRegistered",
        "the Microsoft.Security resource provider is not registered on the subscription",
    ),
    (
        "DisallowedOperation",
        "the subscription's offer does not allow the operation",
    ),
    (
        "TooManyRequests",
        "Azure throttled the request: collect it again",
    ),
    (
        "az login",
        "the az CLI was not signed in when it was collected",
    ),
    (
        "Connect-AzAccount",
        "Az PowerShell was not signed in when it was collected",
    ),
    (
        "Forbidden",
        "access was denied (HTTP 403 Forbidden): the identity lacks read access",
    ),
];

/// The error code (or sign-in message) `message` names, with what it means.
#[must_use]
pub fn of(message: &str) -> Option<(&'static str, &'static str)> {
    CAUSES
        .iter()
        .find(|(code, _)| contains_word(message, code))
        .copied()
}

/// Whether `needle` occurs in `haystack` with no letter or digit right before or after it
/// (`InvalidAuthenticationToken` is not `InvalidAuthenticationTokenTenant`).
fn contains_word(haystack: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric();
    haystack.match_indices(needle).any(|(at, _)| {
        let before = haystack.get(..at).and_then(|h| h.chars().next_back());
        let after = haystack
            .get(at + needle.len()..)
            .and_then(|t| t.chars().next());
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_as_whole_words() {
        assert_eq!(
            of("the collection failed: (AuthorizationFailed) The client 'x'").map(|c| c.0),
            Some("AuthorizationFailed")
        );
        assert_eq!(
            of("InvalidAuthenticationTokenTenant: wrong issuer").map(|c| c.0),
            Some("InvalidAuthenticationTokenTenant")
        );
        assert_eq!(
            of("ERROR: Please run 'az login' to setup account.").map(|c| c.0),
            Some("az login")
        );
        assert_eq!(
            of("Operation returned an invalid status code 'Forbidden'").map(|c| c.0),
            Some("Forbidden")
        );
        assert_eq!(of("NotAuthorizationFailedReally"), None);
        assert_eq!(of("a page of a list without WDATP"), None);
    }

    #[test]
    fn a_specific_code_wins_over_the_status_that_carries_it() {
        assert_eq!(
            of("status code 'Forbidden' AuthorizationFailed over scope").map(|c| c.0),
            Some("AuthorizationFailed")
        );
    }
}
