"""`referrals accounts create` sends identity what it was told, a referrer's partner included."""

from __future__ import annotations

import argparse
import json

import httpx

from referrals import accounts


def test_a_referrer_is_created_bound_to_its_partner(capsys):
    parser = argparse.ArgumentParser()
    accounts.add_arguments(parser)
    args = parser.parse_args(["create", "--name", "Rhea", "--email", "rhea@gp.example.org", "--role", "referrer",
                              "--partner-id", "riverside-surgery"])
    sent = []

    def identity(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": "a-1", "email": "rhea@gp.example.org", "roles": ["referrer"]})

    with httpx.Client(base_url="http://identity", transport=httpx.MockTransport(identity)) as client:
        assert accounts._create(client, args) == 0
    [body] = sent
    assert (body["roles"], body["partner_id"]) == (["referrer"], "riverside-surgery")
    assert "created rhea@gp.example.org (referrer)" in capsys.readouterr().out
