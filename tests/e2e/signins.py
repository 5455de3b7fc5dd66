"""signins.py — sign-in records in the providers' own shapes, for the tests of
password_spray and brute_force (tests/e2e/det_spray.sh, det_bruteforce.sh).

Entra ID sign-ins as a diagnostic setting writes them (one JSON object per
line, the Graph signIn object under `properties`), Azure Activity records,
CloudTrail ConsoleLogin records (S3 delivery file {"Records": [...]}) and
Google Workspace login audit entries as Cloud Logging exports them. Shapes
follow docs/sources/*.md and `kumo gen` output; every value is made up.

    w = Writer(dir)
    w.entra(t, "a@corp.test", "203.0.113.9", 50126)
    w.console(t, "alice", "203.0.113.9", ok=False)
    w.close()            # writes the files
"""
import datetime
import json
import os
import random

TENANT = "7f0c2a51-3d8e-4c1b-9a6f-2b4d8e1f0a11"
SUB = "5c1f9e2a-8b7d-4e3f-a1c2-d3e4f5a6b7c8"
ACCOUNT = "111122223333"
ORG = "organizations/512345678901"
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/128.0.0.0 Safari/537.36")

REASONS = {
    0: None,
    50126: "Error validating credentials due to invalid username or password.",
    50053: "Account is locked because user tried to sign in too many times with an incorrect "
           "user ID or password.",
    50074: "Strong Authentication is required.",
    50076: "Due to a configuration change made by your administrator, or because you moved to a "
           "new location, you must use multi-factor authentication to access.",
    50140: "This error occurred due to 'Keep me signed in' interrupt when the user was "
           "signing in.",
    70044: "The session has expired or is invalid due to sign-in frequency checks by "
           "conditional access.",
    700082: "The refresh token has expired due to inactivity.",
    50173: "The provided grant has expired due to it being revoked, a fresh auth token is "
           "needed.",
    50034: "The user account does not exist in the directory.",
}


def iso(t, digits=7):
    """t: datetime (UTC) -> 2026-03-02T10:00:00.0000000Z"""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        s += "." + ("%06d" % t.microsecond + "0" * 3)[:digits]
    return s + "Z"


def at(base, **kw):
    return base + datetime.timedelta(**kw)


class Writer:
    def __init__(self, out, seed=1):
        self.out = out
        self.rnd = random.Random(seed)
        self.entra_lines, self.activity_lines, self.ct, self.ws_lines = [], [], [], []
        self.ids = []          # (kind, id) of every record, in order

    def uuid(self):
        return "%08x-%04x-4%03x-%04x-%012x" % (
            self.rnd.getrandbits(32), self.rnd.getrandbits(16), self.rnd.getrandbits(12),
            0x8000 | self.rnd.getrandbits(14), self.rnd.getrandbits(48))

    def entra(self, t, upn, ip, code, ua=BROWSER, category="SignInLogs", country="NL",
              app="Office 365 Exchange Online", tenant=TENANT):
        """One Entra sign-in; code 0 is a success. Returns kumo's event id."""
        rid = self.uuid()
        name = upn.split("@")[0].replace(".", " ").title()
        props = {
            "id": rid, "createdDateTime": iso(t)[:-1] + "+00:00", "userDisplayName": name,
            "userPrincipalName": upn, "userId": self.uuid(), "appId": self.uuid(),
            "appDisplayName": app, "ipAddress": ip,
            "status": {"errorCode": code} if code == 0 else
                      {"errorCode": code, "failureReason": REASONS.get(code, "Other.")},
            "clientAppUsed": "Browser", "userAgent": ua,
            "location": {"city": "Amsterdam", "state": "Noord-Holland", "countryOrRegion": country},
            "correlationId": self.uuid(), "conditionalAccessStatus": "notApplied",
            "isInteractive": category == "SignInLogs", "resourceDisplayName": app,
            "authenticationRequirement": "singleFactorAuthentication", "userType": "Member",
        }
        rec = {"time": iso(t), "resourceId": "/tenants/%s/providers/Microsoft.aadiam" % tenant,
               "operationName": "Sign-in activity", "operationVersion": "1.0",
               "category": category, "tenantId": tenant, "resultType": str(code),
               "resultSignature": "None", "durationMs": 0, "callerIpAddress": ip,
               "correlationId": props["correlationId"], "identity": name, "Level": 4,
               "location": country, "properties": props}
        if code:
            rec["resultDescription"] = REASONS.get(code, "Other.")
        self.entra_lines.append(json.dumps(rec))
        eid = "%s:%s" % (category, rid)
        self.ids.append(("entra", eid))
        return eid

    def activity(self, t, upn, ip, op="MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"):
        """One Azure Activity (Administrative) record by a user."""
        rec = {"time": iso(t), "resourceId": "/SUBSCRIPTIONS/%s" % SUB.upper(),
               "operationName": op, "category": "Administrative", "resultType": "Success",
               "resultSignature": "Succeeded.Created", "durationMs": 412, "callerIpAddress": ip,
               "correlationId": self.uuid(),
               "identity": {"claims": {
                   "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": upn,
                   "name": upn, "ipaddr": ip,
                   "http://schemas.microsoft.com/identity/claims/tenantid": TENANT}},
               "level": "Information", "location": "global",
               "properties": {"eventCategory": "Administrative",
                              "entity": "/subscriptions/%s" % SUB, "message": op}}
        self.activity_lines.append(json.dumps(rec))

    def console(self, t, user, ip, ok, utype="IAMUser", account=ACCOUNT, hidden=False):
        """One AWS console sign-in; hidden: the user name AWS does not log."""
        eid = self.uuid()
        ident = {"type": utype, "accountId": account, "accessKeyId": ""}
        if hidden:
            ident["userName"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
            ident["principalId"] = account
        elif utype == "Root":
            ident.update(principalId=account, arn="arn:aws:iam::%s:root" % account)
        else:
            ident.update(principalId="AIDA" + eid.replace("-", "")[:17].upper(),
                         arn="arn:aws:iam::%s:user/%s" % (account, user), userName=user)
        rec = {"eventVersion": "1.08", "userIdentity": ident, "eventTime": iso(t, 0),
               "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
               "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": BROWSER,
               "requestParameters": None,
               "responseElements": {"ConsoleLogin": "Success" if ok else "Failure"},
               "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home",
                                       "MobileVersion": "No", "MFAUsed": "No"},
               "eventID": eid, "readOnly": False, "eventType": "AwsConsoleSignIn",
               "managementEvent": True, "recipientAccountId": account,
               "eventCategory": "Management"}
        if not ok:
            rec["errorMessage"] = ("No username found in supplied account" if hidden
                                   else "Failed authentication")
        self.ct.append(rec)
        self.ids.append(("aws", eid))
        return eid

    def workspace(self, t, email, ip, ok):
        """One Google Workspace login (loginSuccess / loginFailure)."""
        method = "loginSuccess" if ok else "loginFailure"
        event = {"eventName": "login_success" if ok else "login_failure", "eventType": "login"}
        if not ok:
            event["parameter"] = [{"name": "login_failure_type",
                                   "value": "login_failure_invalid_password"}]
        rec = {"protoPayload": {
                   "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                   "authenticationInfo": {"principalEmail": email},
                   "requestMetadata": {"callerIp": ip, "requestAttributes": {},
                                       "destinationAttributes": {}},
                   "serviceName": "login.googleapis.com",
                   "methodName": "google.login.LoginService." + method,
                   "resourceName": ORG, "metadata": {"event": [event]}},
               "insertId": "%x" % self.rnd.getrandbits(48),
               "resource": {"type": "audited_resource",
                            "labels": {"service": "login.googleapis.com"}},
               "timestamp": iso(t, 6), "severity": "NOTICE",
               "logName": ORG + "/logs/cloudaudit.googleapis.com%2Fdata_access"}
        self.ws_lines.append(json.dumps(rec))

    def close(self):
        os.makedirs(self.out, exist_ok=True)
        if self.entra_lines:
            with open(os.path.join(self.out, "signins.json"), "w") as f:
                f.write("\n".join(self.entra_lines) + "\n")
        if self.activity_lines:
            with open(os.path.join(self.out, "activity.json"), "w") as f:
                f.write("\n".join(self.activity_lines) + "\n")
        if self.ct:
            with open(os.path.join(self.out, "cloudtrail.json"), "w") as f:
                json.dump({"Records": self.ct}, f)
        if self.ws_lines:
            with open(os.path.join(self.out, "workspace.json"), "w") as f:
                f.write("\n".join(self.ws_lines) + "\n")
