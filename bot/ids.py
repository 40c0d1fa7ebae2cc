"""Action and block ids shared by the block builders and the listeners."""

from __future__ import annotations

import enum


class ActionId(enum.StrEnum):
    approve = "cam_approve"
    reject = "cam_reject"
    # Finish the failed CRM sync of an approved escalation.
    retry_crm_sync = "cam_retry_crm_sync"
    task_done = "cam_task_done"
    task_skip = "cam_task_skip"
    # The decisions on a reply card.
    triage_interested = "cam_triage_interested"
    triage_not_interested = "cam_triage_not_interested"
    triage_unsubscribe = "cam_triage_unsubscribe"
    # The second step of Unsubscribe, on the question only its clicker sees.
    triage_unsubscribe_confirm = "cam_triage_unsubscribe_confirm"
    triage_snooze = "cam_triage_snooze"
    # Vouch for a teammate's label on a decided card.
    label_agree = "cam_label_agree"
    # Reply from the card: open the answer modal; in it, switch the snippet, pick a mailbox.
    answer_open = "cam_answer_open"
    answer_snippet = "cam_answer_snippet"
    answer_mailbox = "cam_answer_mailbox"
    answer_body = "cam_answer_body"
    # On an out-of-office reply's card: write the answer now, sent when they are back; and
    # withdraw it before then.
    answer_later_open = "cam_answer_later_open"
    answer_cancel = "cam_answer_cancel"
    # On a card only the model read as an opt-out.
    confirm_opt_out = "cam_confirm_opt_out"
    not_opt_out = "cam_not_opt_out"
    # The ephemeral confirm step of `/cam restore`: restore only, or restore and resume.
    # Add the stand-in an absence notice names as a lead.
    add_referral = "cam_add_referral"
    restore_confirm = "cam_restore_confirm"
    restore_resume = "cam_restore_resume"
    restore_cancel = "cam_restore_cancel"


class BlockId(enum.StrEnum):
    approval_actions = "cam_approval_actions"
    task_actions = "cam_task_actions"
    # `cam_triage_actions:<signed CardRef>`: a date picker has no value, its block carries it.
    triage_actions = "cam_triage_actions"
    label_actions = "cam_label_actions"
    # `cam_answer_actions:<reply id>`: the card's Reply button.
    answer_actions = "cam_answer_actions"
    answer_mailbox = "cam_answer_mailbox"
    answer_snippet = "cam_answer_snippet"
    # `cam_answer_body:<snippet key>`: a new id per snippet, so Slack shows its draft.
    answer_body = "cam_answer_body"
    # On an out-of-office reply's card: write the answer now, sent when they are back; and
    # withdraw it before then.
    answer_later_open = "cam_answer_later_open"
    answer_cancel = "cam_answer_cancel"
    opt_out_actions = "cam_opt_out_actions"
    referral_actions = "cam_referral_actions"
    restore_actions = "cam_restore_actions"


class CallbackId(enum.StrEnum):
    answer = "cam_answer"
    # The same form, scheduled for the prospect's return.
    answer_later = "cam_answer_later"
