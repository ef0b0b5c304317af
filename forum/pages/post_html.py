"""A thread page's posts as HTML, written here rather than by a template per post.

Rendering 50 posts through Jinja (an include, a macro, a dozen gettext calls and some eighty
expressions each) cost about 160 µs a post: several times the JSON read of the whole page. The
post's body is HTML cleaned once at write time (forum.service.posts); around it a post is an
author line, dates, badges and the actions its viewer may take, all decided before
(forum.presenters, forum.rules) and only laid out here: labels translated once per language,
each value escaped as it is written, about 10 µs a post. Templates call these through globals
(`post_html`, `tree_html`, `vote_html`), so a page, a fragment and a live update lay a post out
the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, pass_environment
from markupsafe import Markup, escape

from agora import i18n
from forum.presenters import TreeLayout
from forum.schemas import Author, PostRead

STAFF_ROLES = ("instructor", "ta")


@dataclass(frozen=True, slots=True)
class Labels:
    """A post's fixed texts in one language, trusted as Jinja's gettext trusts a catalogue."""

    anonymous: str
    anonymous_to_peers: str
    you: str
    staff: str
    edited: str
    accepted: str
    endorsed: str
    hidden: str
    new: str
    in_reply_to: str
    deleted: str
    hidden_by_staff: str
    upvote: str
    reply: str
    unaccept: str
    accept: str
    unendorse: str
    endorse: str
    edit: str
    history: str
    flag: str
    flag_why: str
    spam: str
    offensive: str
    off_topic: str
    other: str
    note: str
    send_flag: str
    restore: str
    hide: str
    reason: str
    hide_replies: str
    show_replies: str
    ngettext: Callable[[str, str, int], str]


@lru_cache(maxsize=len(i18n.SUPPORTED))
def labels(locale: str) -> Labels:
    catalogue = i18n.translations(locale)
    _ = catalogue.gettext  # the msgids pybabel extracts from this file
    return Labels(
        anonymous=_("Anonymous"),
        anonymous_to_peers=_("anonymous to peers"),
        you=_("you"),
        staff=_("Staff"),
        edited=_("edited"),
        accepted=_("Accepted answer"),
        endorsed=_("Endorsed by staff"),
        hidden=_("Hidden"),
        new=_("New"),
        in_reply_to=_("In reply to"),
        deleted=_("This post was deleted."),
        hidden_by_staff=_("Hidden by staff:"),
        upvote=_("Upvote"),
        reply=_("Reply"),
        unaccept=_("Unaccept"),
        accept=_("Accept this answer"),
        unendorse=_("Remove endorsement"),
        endorse=_("Endorse"),
        edit=_("Edit"),
        history=_("Edit history"),
        flag=_("Flag"),
        flag_why=_("Why should staff look at this post?"),
        spam=_("Spam"),
        offensive=_("Offensive"),
        off_topic=_("Off topic"),
        other=_("Other"),
        note=_("Note (optional)"),
        send_flag=_("Send flag"),
        restore=_("Restore"),
        hide=_("Hide"),
        reason=_("Reason"),
        hide_replies=_("Hide replies"),
        show_replies=_("Show replies"),
        ngettext=catalogue.ngettext,
    )


def votes_text(t: Labels, score: int) -> str:
    return t.ngettext("%(num)d vote", "%(num)d votes", score) % {"num": score}


def vote_form(t: Labels, score: int, voted: bool, post_url: str) -> str:
    """A post's vote control; a vote answers with this control alone (the score, "pressed")."""
    return (
        f'<form class="vote" hx-post="{post_url}/vote" hx-target="this" hx-swap="outerHTML">\n'
        f'  <input type="hidden" name="value" value="{0 if voted else 1}">\n'
        f'  <button type="submit" class="secondary" aria-pressed="{"true" if voted else "false"}"'
        f' aria-label="{t.upvote} ({votes_text(t, score)})">▲ {score}</button>\n'
        "</form>"
    )


def author_html(t: Labels, a: Author) -> str:
    """An author as forum.presenters.author_view left them for this viewer (the same markup
    as forum/_macros.html's `author`)."""
    if a.id is None and a.anonymous:
        out = f'<span class="author anonymous">{t.anonymous}</span>'
    else:
        out = f'<span class="author">{escape(a.name) if a.name else t.anonymous}</span>'
        if a.anonymous:
            out += f' <span class="badge">{t.anonymous_to_peers}</span>'
    if a.is_me:
        out += f' <span class="muted">({t.you})</span>'
    if a.role in STAFF_ROLES:
        out += f' <span class="badge badge-accent">{t.staff}</span>'
    return out


def render_post(
    env: Environment, p: PostRead, *, can_reply: bool, depth_limit: int, thread_url: str
) -> str:
    """One post of a thread page as `p` (already cut for its viewer) says it looks."""
    t = labels(env.globals["locale"])
    pid = p.id
    url = f"{thread_url}/posts/{pid}"
    classes = f"post depth-{p.display_depth}"
    if p.accepted or p.endorsed:
        classes += " is-answer"
    if p.hidden:
        classes += " is-hidden"
    if p.unread:
        classes += " is-unread"
    created = p.created_at
    out = [
        f'<article id="post-{pid}" class="{classes}" aria-labelledby="post-{pid}-by"'
        f' data-post-id="{pid}">\n'
        f'  <div class="post-head">\n    <span id="post-{pid}-by">{author_html(t, p.author)}'
        f'</span>\n    <span class="meta">\n      <time datetime="{created.isoformat()}"'
        f' title="{escape(env.filters["datetime"](created))}">'
        f"{escape(env.filters['ago'](created))}</time>\n"
    ]
    if p.edited_at:
        out.append(f"      <span>· {t.edited}</span>\n")
    if p.accepted:
        out.append(f'      <span class="badge badge-ok">{t.accepted}</span>\n')
    if p.endorsed:
        out.append(f'      <span class="badge badge-ok">{t.endorsed}</span>\n')
    if p.hidden:
        out.append(f'      <span class="badge badge-bad">{t.hidden}</span>\n')
    if p.unread:
        out.append(f'      <span class="badge badge-accent">{t.new}</span>\n')
    out.append("    </span>\n  </div>\n")
    if p.reply_to:
        to = p.reply_to
        name = t.anonymous if to.id is None and to.anonymous else escape(to.name)
        out.append(
            f'  <p class="reply-to small">{t.in_reply_to} <a href="#post-{p.parent_id}">'
            f"{name}</a></p>\n"
        )
    out.append(f'  <div id="post-body-{pid}">\n')
    if p.deleted:
        out.append(f'    <p class="muted">{t.deleted}</p>\n  </div>\n')
    else:
        if p.hidden and p.hidden_reason:
            out.append(f'    <p class="hint">{t.hidden_by_staff} {escape(p.hidden_reason)}</p>\n')
        # Cleaned at write time (agora.markup): stored as safe HTML.
        out.append(f'    <div class="markdown">{p.body_html}</div>\n')
        if p.attachments:
            attachments = env.get_template("macros/attachments.html").module
            out.append(f"{attachments.attachment_list(p.attachments)}\n")  # type: ignore[attr-defined]
        out.append("  </div>\n")
        out.append(actions_html(t, p, url, can_reply and p.depth < depth_limit))
    out.append(
        f'  <div id="post-extra-{pid}" aria-live="polite"></div>\n'
        f'  <div id="reply-slot-{pid}"></div>\n</article>'
    )
    return "".join(out)


def actions_html(t: Labels, p: PostRead, url: str, can_reply: bool) -> str:
    """What this viewer may do with the post (its `can_*` flags, from forum.rules)."""
    pid = p.id
    out = ['  <div class="actions">\n']
    if p.can_vote:
        out.append(vote_form(t, p.score, p.voted, url))
    else:
        out.append(f'    <span class="vote badge">{votes_text(t, p.score)}</span>')
    out.append("\n")
    if can_reply:
        out.append(
            f'    <button type="button" class="secondary" hx-get="{url}/reply"'
            f' hx-target="#reply-slot-{pid}" hx-swap="innerHTML">{t.reply}</button>\n'
        )
    if p.can_accept:
        out.append(
            f'    <form hx-post="{url}/accept" hx-target="#thread-live" hx-swap="outerHTML">\n'
            f'      <input type="hidden" name="accepted" value="{0 if p.accepted else 1}">\n'
            f'      <button type="submit" class="secondary">'
            f"{t.unaccept if p.accepted else t.accept}</button>\n    </form>\n"
        )
    if p.can_endorse:
        out.append(
            f'    <form hx-post="{url}/endorse" hx-target="#thread-live" hx-swap="outerHTML">\n'
            f'      <input type="hidden" name="endorsed" value="{0 if p.endorsed else 1}">\n'
            f'      <button type="submit" class="secondary">'
            f"{t.unendorse if p.endorsed else t.endorse}</button>\n    </form>\n"
        )
    if p.can_edit:
        out.append(
            f'    <button type="button" class="secondary" hx-get="{url}/edit"'
            f' hx-target="#post-body-{pid}" hx-swap="innerHTML">{t.edit}</button>\n'
        )
    if p.edited_at:
        out.append(
            f'    <button type="button" class="secondary" hx-get="{url}/history"'
            f' hx-target="#post-extra-{pid}" hx-swap="innerHTML">{t.history}</button>\n'
        )
    if p.can_flag:
        out.append(
            f'    <details class="flag">\n      <summary>{t.flag}</summary>\n'
            f'      <form hx-post="{url}/flag" hx-target="#post-extra-{pid}"'
            f' hx-swap="innerHTML">\n'
            f'        <label for="flag-reason-{pid}">{t.flag_why}</label>\n'
            f'        <select id="flag-reason-{pid}" name="reason">\n'
            f'          <option value="spam">{t.spam}</option>\n'
            f'          <option value="offensive">{t.offensive}</option>\n'
            f'          <option value="off_topic">{t.off_topic}</option>\n'
            f'          <option value="other">{t.other}</option>\n        </select>\n'
            f'        <label for="flag-note-{pid}">{t.note}</label>\n'
            f'        <input id="flag-note-{pid}" type="text" name="note" maxlength="1000">\n'
            f'        <div class="actions"><button type="submit">{t.send_flag}</button></div>\n'
            "      </form>\n    </details>\n"
        )
    if p.can_moderate:
        toggle = t.restore if p.hidden else t.hide
        out.append(
            f'    <details class="staff-tools">\n      <summary>{toggle}</summary>\n'
            f'      <form hx-post="{url}/{"restore" if p.hidden else "hide"}"'
            f' hx-target="#thread-live" hx-swap="outerHTML">\n'
            f'        <label for="hide-reason-{pid}">{t.reason}</label>\n'
            f'        <input id="hide-reason-{pid}" type="text" name="reason" maxlength="500"'
            f"{'' if p.hidden else ' required'}>\n"
            f'        <div class="actions"><button type="submit"'
            f' class="{"secondary" if p.hidden else "danger"}">{toggle}</button></div>\n'
            "      </form>\n    </details>\n"
        )
    out.append("  </div>\n")
    return "".join(out)


def can_reply_in(env: Environment, view: Any) -> bool:
    """`view`: the thread page's ThreadRead, or a fragment's {"can_reply": …}."""
    return bool(env.getattr(view, "can_reply"))


@pass_environment
def post_html(
    env: Environment, p: PostRead, view: Any, depth_limit: int, thread_url: str
) -> Markup:
    """`{{ post_html(p, view, reply_depth_limit, thread_url) }}`. Arguments are explicit: a
    global taking the template's context costs a derived context per call inside a loop."""
    return Markup(
        render_post(
            env,
            p,
            can_reply=can_reply_in(env, view),
            depth_limit=depth_limit,
            thread_url=str(escape(thread_url)),
        )  # fmt: skip
    )


@pass_environment
def vote_html(env: Environment, score: int, voted: bool, post_url: str) -> Markup:
    """`{{ vote_html(p.score, p.voted, post_url) }}`: the vote control a vote answers with."""
    t = labels(env.globals["locale"])
    return Markup(vote_form(t, int(score), bool(voted), str(escape(post_url))))


@pass_environment
def tree_html(
    env: Environment, tree: TreeLayout, view: Any, depth_limit: int, thread_url: str,
    max_depth: int,
) -> Markup:  # fmt: skip
    """Replies in tree order (forum.presenters.thread_tree): each reply is a node; one down to
    the course's display depth opens a collapsible container of its replies (a <details>: no
    script needed), past it replies are flattened into their ancestor's at that depth. A "run"
    holds replies whose container is already on the page (more posts, a new reply): agora.js
    moves them into it."""
    t = labels(env.globals["locale"])
    can_reply = can_reply_in(env, view)
    url = str(escape(thread_url))
    out: list[str] = []
    for it in tree.items:
        p = it.post
        out.append("</div></details></div>" * it.close)
        if it.end_run:
            out.append("</div>")
        if it.run is not None:
            out.append(f'<div class="run" data-into="{escape(it.run)}">')
        path = escape(p.path)
        out.append(f'<div class="node" data-path="{path}">\n')
        out.append(
            render_post(env, p, can_reply=can_reply, depth_limit=depth_limit, thread_url=url)
        )
        if it.owns:
            flat = " flat" if p.depth >= max_depth else ""
            out.append(
                f'<details class="subtree" open><summary><span class="when-open">'
                f'{t.hide_replies}</span><span class="when-closed">{t.show_replies}'
                f'<span class="reply-total"></span></span></summary>'
                f'<div class="replies{flat}" id="replies-{path}">'
            )
        else:
            out.append("</div>")
    out.append("</div></details></div>" * tree.close)
    if tree.run_open:
        out.append("</div>")
    return Markup("".join(out))
