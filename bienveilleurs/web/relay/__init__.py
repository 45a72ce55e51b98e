"""The relays' phone pages: report a person, my people, a contact, orient; their availability;
the installable app that keeps working without the network."""
