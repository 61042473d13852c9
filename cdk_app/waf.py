"""Firewall: an AWS WAF web ACL in front of the AppSync API, its values from api_config.json "limits".

AppSync does not throttle API keys, so per-IP rate limits, the request-size cap and the managed rule
groups live here. There is no L2 for WAFv2: the web ACL is the L1 CfnWebACL.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

Waf = wafv2.CfnWebACL

# AWS WAF sees at most the first 8 KB (8,192 bytes) of an AppSync request body; the limit is fixed for
# AppSync (no AssociationConfig setting), see
# https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html
APPSYNC_BODY_INSPECTION_LIMIT = 8192

# Requests signed with SigV4 (the publisher's IAM mutation) are left out of the per-IP rate rules:
# Lambda shares egress IPs, and a burst of publishes must never be throttled with the public. A forged
# SigV4 header buys an attacker nothing: AppSync refuses it before any resolver runs.
SIGV4_PREFIX = "AWS4-HMAC-SHA256 "

# AWS managed rule groups (no subscription fee), each with the rules whose action is overridden to
# Count because they would block our own traffic. Chosen for a GraphQL API over JSON:
# - AmazonIpReputationList: sources Amazon threat intelligence lists (bots, scanners); none of ours.
# - CommonRuleSet (OWASP-style: XSS, LFI/RFI, SSRF to the metadata service, bad bots, sizes), with
#   SizeRestrictions_BODY counted (it blocks bodies over 8 KB; our own rule below enforces
#   maxRequestBodyBytes instead) and SizeRestrictions_QUERYSTRING counted (it blocks query strings
#   over 2,048 bytes; the real-time handshake may carry its base64 auth header, a Cognito JWT
#   included, in the query string).
# Left out: KnownBadInputsRuleSet (Log4j and Java deserialization payloads: nothing on our request path
# runs Java, and AppSync, not our code, reads the Host header; each rule is USD 1 a month, a twelfth of
# a small workshop's bill), AnonymousIpList (its HostingProviderIPList blocks cloud egress, the
# publisher Lambda's too, and customers on VPNs), SQLiRuleSet (no SQL behind the API; free-text
# descriptions such as "drop table" would be false positives), Bot Control and ATP (paid per request).
MANAGED_RULE_GROUPS: dict[str, tuple[str, ...]] = {
    "AWSManagedRulesAmazonIpReputationList": (),
    "AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY", "SizeRestrictions_QUERYSTRING"),
}


def greater_than_pattern(limit: int) -> str:
    """A regular expression that matches the decimal integers greater than `limit` (leading zeros
    allowed), for a Content-Length header: WAF compares sizes of what it sees, never header values."""
    digits = str(limit)
    longer = rf"[1-9]\d{{{len(digits)},}}"
    same_length = [
        f"{digits[:i]}[{int(d) + 1}-9]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i, d in enumerate(digits)
        if d != "9"
    ]
    return "^0*(" + "|".join([longer, *same_length]) + ")$"


def _visibility(name: str) -> Waf.VisibilityConfigProperty:
    return Waf.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _header(name: str) -> Waf.FieldToMatchProperty:
    return Waf.FieldToMatchProperty(single_header={"Name": name})


_NONE = [Waf.TextTransformationProperty(priority=0, type="NONE")]


def _has_header(name: str) -> Waf.StatementProperty:
    """A header that is present and non-empty (WAF does not match a header the request lacks)."""
    return Waf.StatementProperty(
        size_constraint_statement=Waf.SizeConstraintStatementProperty(
            field_to_match=_header(name), comparison_operator="GT", size=0, text_transformations=_NONE
        )
    )


def _not(statement: Waf.StatementProperty) -> Waf.StatementProperty:
    return Waf.StatementProperty(not_statement=Waf.NotStatementProperty(statement=statement))


def _signed_with_sigv4() -> Waf.StatementProperty:
    return Waf.StatementProperty(
        byte_match_statement=Waf.ByteMatchStatementProperty(
            field_to_match=_header("authorization"),
            positional_constraint="STARTS_WITH",
            search_string=SIGV4_PREFIX,
            text_transformations=_NONE,
        )
    )


def _rate_rule(name: str, priority: int, limit: int, window: int, scope: Waf.StatementProperty) -> Any:
    return Waf.RuleProperty(
        name=name,
        priority=priority,
        action=Waf.RuleActionProperty(block={}),
        statement=Waf.StatementProperty(
            rate_based_statement=Waf.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=window,
                scope_down_statement=scope,
            )
        ),
        visibility_config=_visibility(name),
    )


def _body_size_rule(priority: int, max_bytes: int) -> Any:
    """Blocks bodies over `max_bytes`. WAF cannot see past AppSync's 8 KB, so the exact limit is read
    from Content-Length; a body without one (chunked) is blocked once it passes what WAF can inspect."""
    declared_too_large = Waf.StatementProperty(
        regex_match_statement=Waf.RegexMatchStatementProperty(
            field_to_match=_header("content-length"),
            regex_string=greater_than_pattern(max_bytes),
            text_transformations=_NONE,
        )
    )
    undeclared_too_large = Waf.StatementProperty(
        and_statement=Waf.AndStatementProperty(
            statements=[
                _not(_has_header("content-length")),
                Waf.StatementProperty(
                    size_constraint_statement=Waf.SizeConstraintStatementProperty(
                        field_to_match=Waf.FieldToMatchProperty(
                            body=Waf.BodyProperty(oversize_handling="MATCH")
                        ),
                        comparison_operator="GT",
                        size=min(max_bytes, APPSYNC_BODY_INSPECTION_LIMIT),
                        text_transformations=_NONE,
                    )
                ),
            ]
        )
    )
    return Waf.RuleProperty(
        name="RequestBodyTooLarge",
        priority=priority,
        action=Waf.RuleActionProperty(block={}),
        statement=Waf.StatementProperty(
            or_statement=Waf.OrStatementProperty(statements=[declared_too_large, undeclared_too_large])
        ),
        visibility_config=_visibility("RequestBodyTooLarge"),
    )


def _managed_rule(name: str, priority: int, counted: tuple[str, ...]) -> Any:
    return Waf.RuleProperty(
        name=name,
        priority=priority,
        override_action=Waf.OverrideActionProperty(none={}),
        statement=Waf.StatementProperty(
            managed_rule_group_statement=Waf.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                rule_action_overrides=[
                    Waf.RuleActionOverrideProperty(name=rule, action_to_use=Waf.RuleActionProperty(count={}))
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=_visibility(name),
    )


def web_acl_rules(limits: dict[str, Any]) -> list[Any]:
    """The rules, in priority order, from api_config.json "limits"."""
    waf = limits["waf"]
    window = waf["evaluationWindowSeconds"]
    unsigned = _not(_signed_with_sigv4())
    groups = MANAGED_RULE_GROUPS
    reputation, common = groups
    return [
        _managed_rule(reputation, 0, groups[reputation]),
        # No Authorization header: API-key callers (the public customer page) and anonymous traffic.
        _rate_rule(
            "RateLimitAnonymous", 1, waf["rateLimitAnonymous"], window, _not(_has_header("authorization"))
        ),
        # Everyone per IP (staff behind one workshop address included), except SigV4-signed calls.
        _rate_rule("RateLimitPerIp", 2, waf["rateLimitAuthenticated"], window, unsigned),
        _body_size_rule(3, limits["maxRequestBodyBytes"]),
        _managed_rule(common, 4, groups[common]),
    ]


class ApiFirewall(Construct):
    """`web_acl` (REGIONAL), associated with `api`. No WAF logging: metrics and sampled requests
    (kept 3 hours by WAF) cover false positives, and full logs would cost per GB."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: appsync.GraphqlApi,
        limits: dict[str, Any],
        stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=Waf.DefaultActionProperty(allow={}),
            description=f"Pitstop API, stage {stage}: rate limits, body size, AWS managed rules",
            rules=web_acl_rules(limits),
            visibility_config=_visibility(f"pitstop-{stage}-api"),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=api.arn, web_acl_arn=self.web_acl.attr_arn
        )
