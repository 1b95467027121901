"""``hotline users``: staff accounts of the console (add, list, roles, password, enable/disable).

No default account ships: the first administrator is ``hotline users add admin --role admin``.
Passwords are typed at a hidden prompt (twice), or read from the first line of standard input
when it is not a terminal (``printf '%s\\n' "$PW" | hotline users add ...``), never from the
command line where ``ps`` and the shell history would keep them.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import sys
from collections.abc import Callable

from api.db import unit_of_work
from api.errors import DomainError
from api.services import auth
from api.services.registry import get_session_factory
from api.settings import get_settings
from api.texts import text


def register(subparsers: argparse._SubParsersAction) -> None:
    users = subparsers.add_parser("users", help="坐席工作台账号：添加、列出、角色、密码、停用")
    sub = users.add_subparsers(dest="users_command", required=True)

    add = sub.add_parser("add", help="添加账号（密码在提示符输入，或从标准输入读取第一行）")
    add.add_argument("username")
    add.add_argument("--role", action="append", required=True, choices=auth.ROLES, help="可重复")
    add.add_argument("--display-name", default="")
    add.set_defaults(handler=_add)

    list_ = sub.add_parser("list", help="列出账号")
    list_.set_defaults(handler=_list)

    roles = sub.add_parser("roles", help="设置账号的角色（替换原有角色）")
    roles.add_argument("username")
    roles.add_argument("--role", action="append", required=True, choices=auth.ROLES)
    roles.set_defaults(handler=_roles)

    passwd = sub.add_parser("passwd", help="重设密码（该账号的登录会话全部失效）")
    passwd.add_argument("username")
    passwd.set_defaults(handler=_passwd)

    for name, active, label in (("disable", False, "停用账号"), ("enable", True, "启用账号")):
        cmd = sub.add_parser(name, help=label)
        cmd.add_argument("username")
        cmd.set_defaults(handler=_set_active, active=active)


def read_password(prompt: str = "密码: ") -> str:
    """A new password: hidden prompt twice on a terminal, else the first line of stdin."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(prompt)
        if getpass.getpass("再输入一次: ") != password:
            raise ValueError("两次输入的密码不一致")
    if not password:
        raise ValueError("密码不能为空")
    return password


def _friendly(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Print a domain error (user exists, weak password, ...) in Chinese instead of a traceback."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except DomainError as exc:
            sys.stderr.write(f"错误: {text(exc.key, **exc.fmt)}\n")
            return 2

    return run


def _print(user: auth.UserPublic) -> None:
    sys.stdout.write(json.dumps(user.model_dump(), ensure_ascii=False) + "\n")


@_friendly
def _add(args: argparse.Namespace) -> int:
    password = read_password()
    with unit_of_work(get_session_factory(get_settings())) as session:
        user = auth.create_user(
            session,
            username=args.username,
            password=password,
            roles=args.role,
            display_name=args.display_name,
        )
    _print(user)
    return 0


@_friendly
def _list(args: argparse.Namespace) -> int:
    with unit_of_work(get_session_factory(get_settings())) as session:
        for user in auth.list_users(session):
            _print(user)
    return 0


@_friendly
def _roles(args: argparse.Namespace) -> int:
    with unit_of_work(get_session_factory(get_settings())) as session:
        _print(auth.set_roles(session, username=args.username, roles=args.role))
    return 0


@_friendly
def _passwd(args: argparse.Namespace) -> int:
    password = read_password("新密码: ")
    with unit_of_work(get_session_factory(get_settings())) as session:
        _print(auth.set_password(session, username=args.username, password=password))
    return 0


@_friendly
def _set_active(args: argparse.Namespace) -> int:
    with unit_of_work(get_session_factory(get_settings())) as session:
        _print(auth.set_active(session, username=args.username, active=args.active))
    return 0
