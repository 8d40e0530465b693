"""dashboard: the sign-in link to the web desk."""

TEXT: dict[str, str] = {
    "desk.link": "Your link to Saiyai's web desk is in the next message. It works once, within {minutes} minutes, and only for your account: please do not forward it.",
    "desk.not_configured": "Sorry, Saiyai's web desk is not set up yet (SAIYAI_PUBLIC_URL). Please tell the administrator.",
    "desk.register_first": "Please register first with “register”, then send “dashboard” again.",
}
