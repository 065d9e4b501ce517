"""The messaging backbone shared by all services: outbox, relay, inbox, consumers, dead letters."""
