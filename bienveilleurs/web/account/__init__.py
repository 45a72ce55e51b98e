"""One's own account: sign in and out, password, invitation and reset links, API tokens,
notification preferences."""
