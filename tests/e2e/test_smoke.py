from tests.e2e.slack_client import OUTSIDER


def test_help(bot):
    reply = bot.slack.command("help")
    assert reply.status == 200, reply.body
    assert "/cam run dry" in reply.json["text"]


def test_status(bot):
    reply = bot.slack.command("status")
    assert reply.status == 200, reply.body
    print(reply.json)


def test_limits(bot):
    reply = bot.slack.command("limits")
    assert reply.status == 200, reply.body
    print(reply.json)


def test_pause_outsider(bot):
    reply = bot.slack.command("pause", user=OUTSIDER)
    assert reply.status == 200, reply.body
    print(reply.json)
