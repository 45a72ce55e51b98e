"""Coordinators' pages: referrals to assign or waiting, the map, the network of relays,
coverage by territory, and a resident's file."""
