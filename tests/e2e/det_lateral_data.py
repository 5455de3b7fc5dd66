#!/usr/bin/env python3
"""det_lateral_data.py OUT CASE — writes hand-made audit records for
tests/e2e/det_lateral.sh in the providers' delivery shapes (CloudTrail
{"Records": [...]} files, Azure Activity diagnostic-settings JSON lines, GCP
audit LogEntry JSON lines), shaped like `kumo gen` output.

Cases:
  short     one afternoon: role chains (positive and negative twins), GCP
            impersonation and grants, Azure role assignments and their use
  baseline  five days: the same cross-account hop / impersonation every day
            from day 1 (expected), and new ones on day 5
"""
import hashlib, json, os, sys, uuid

OUT, CASE = sys.argv[1], sys.argv[2]
_n = [0]


def uid(tag=''):
    _n[0] += 1
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'kumo-det-lateral/%s/%d' % (tag, _n[0])))


A, B, C = '111122223333', '444455556666', '777788889999'

# ---------------------------------------------------------------- AWS -------

ct_files = {}


def ct(t, acct, ui, name, rp=None, re=None, role=None, shared=None, eid=None,
       ip='198.51.100.10', src='sts.amazonaws.com', err=None):
    rec = {'eventVersion': '1.08', 'userIdentity': ui, 'eventTime': t, 'eventSource': src,
           'eventName': name, 'awsRegion': 'us-east-1', 'sourceIPAddress': ip,
           'userAgent': 'aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64.ubuntu.22',
           'requestParameters': rp, 'responseElements': re, 'requestID': uid('req'),
           'eventID': eid or uid('ev'), 'readOnly': name.startswith(('List', 'Describe', 'Get')),
           'eventType': 'AwsApiCall', 'managementEvent': True, 'recipientAccountId': acct,
           'eventCategory': 'Management'}
    if err:
        rec['errorCode'] = err
        rec['errorMessage'] = 'User is not authorized to perform: sts:AssumeRole'
        rec['responseElements'] = None
    if role:
        rec['resources'] = [{'accountId': role.split(':')[4], 'type': 'AWS::IAM::Role',
                             'ARN': role}]
    if shared:
        rec['sharedEventID'] = shared
    key = (acct, t[:13])
    ct_files.setdefault(key, []).append(rec)
    return rec


def sso(acct, permset, user, key, t):
    return {'type': 'AssumedRole', 'principalId': 'AROASSO%s:%s' % (permset[:8].upper(), user),
            'arn': 'arn:aws:sts::%s:assumed-role/%s/%s' % (acct, permset, user),
            'accountId': acct, 'accessKeyId': key,
            'sessionContext': {'sessionIssuer': {
                'type': 'Role', 'principalId': 'AROASSO%s' % permset[:8].upper(),
                'arn': 'arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s' % (acct, permset),
                'accountId': acct, 'userName': permset},
                'attributes': {'creationDate': t, 'mfaAuthenticated': 'false'}}}


def session(role_arn, sess, key, t, src_id=None):
    acct, name = role_arn.split(':')[4], role_arn.split('/')[-1]
    ui = {'type': 'AssumedRole', 'principalId': 'AROA%s:%s' % (name.upper()[:10], sess),
          'arn': 'arn:aws:sts::%s:assumed-role/%s/%s' % (acct, name, sess),
          'accountId': acct, 'accessKeyId': key,
          'sessionContext': {'sessionIssuer': {'type': 'Role',
                                               'principalId': 'AROA%s' % name.upper()[:10],
                                               'arn': role_arn, 'accountId': acct,
                                               'userName': name},
                             'attributes': {'creationDate': t, 'mfaAuthenticated': 'false'}}}
    if src_id:
        ui['sessionContext']['sourceIdentity'] = src_id
    return ui


def iam_user(acct, name, key):
    return {'type': 'IAMUser', 'principalId': 'AIDA%s' % name.upper(),
            'arn': 'arn:aws:iam::%s:user/%s' % (acct, name), 'accountId': acct,
            'accessKeyId': key, 'userName': name}


def assume(t, acct, ui, role, sess, new_key, shared=None, src_id=None, eid=None,
           action='AssumeRole', ip='198.51.100.10'):
    racct, rname = role.split(':')[4], role.split('/')[-1]
    rp = {'roleArn': role, 'roleSessionName': sess, 'durationSeconds': 3600}
    if src_id:
        rp['sourceIdentity'] = src_id
    re = {'credentials': {'accessKeyId': new_key, 'sessionToken': 'IQoJb3JpZ2luX2VjE' + new_key,
                          'expiration': 'Mar 10, 2026, 11:00:00 AM'},
          'assumedRoleUser': {'assumedRoleId': 'AROA%s:%s' % (rname.upper()[:10], sess),
                              'arn': 'arn:aws:sts::%s:assumed-role/%s/%s' % (racct, rname, sess)}}
    if src_id:
        re['sourceIdentity'] = src_id
    return ct(t, acct, ui, action, rp, re, role=role, shared=shared, eid=eid, ip=ip)


def role(acct, name):
    return 'arn:aws:iam::%s:role/%s' % (acct, name)


def write_ct():
    for (acct, hour), recs in ct_files.items():
        d = os.path.join(OUT, 'AWSLogs', acct, 'CloudTrail', 'us-east-1', hour[:4], hour[5:7],
                         hour[8:10])
        os.makedirs(d, exist_ok=True)
        stamp = hour.replace('-', '').replace('T', 'T') + '05Z'
        p = os.path.join(d, '%s_CloudTrail_us-east-1_%s_%s.json' % (acct, stamp, 'k' * 16))
        with open(p, 'w') as f:
            json.dump({'Records': recs}, f)


# --------------------------------------------------------------- Azure ------

TENANT = '8b0f1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d'
S1, S2, S3 = ('11111111-aaaa-4bbb-8ccc-000000000001', '22222222-aaaa-4bbb-8ccc-000000000002',
              '33333333-aaaa-4bbb-8ccc-000000000003')
OID = {'lea': '0a0a0a0a-1111-4222-8333-000000000001', 'ivan': '0a0a0a0a-1111-4222-8333-000000000002',
       'otto': '0a0a0a0a-1111-4222-8333-000000000003', 'pia': '0a0a0a0a-1111-4222-8333-000000000004',
       'rex': '0a0a0a0a-1111-4222-8333-000000000005', 'mia': '0a0a0a0a-1111-4222-8333-000000000006',
       'sam': '0a0a0a0a-1111-4222-8333-000000000007'}
ROLE = {'Owner': '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
        'Contributor': 'b24988ac-6180-42a0-ab88-20f7382dd24c',
        'Reader': 'acdd72a7-3385-48ef-bd42-f606fba81ae7'}
az_files = {}


def claims(who):
    return {'aud': 'https://management.core.windows.net/',
            'iss': 'https://sts.windows.net/%s/' % TENANT,
            'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': '%s@corp.test' % who,
            'name': who.capitalize(), 'appid': '04b07795-8ddb-461a-bbee-02f9e1bf7b46',
            'http://schemas.microsoft.com/identity/claims/objectidentifier': OID[who],
            'http://schemas.microsoft.com/identity/claims/tenantid': TENANT,
            'ipaddr': '198.51.100.20'}


def az(t, sub, who, op, rid, result, corr, props=None, sig=None):
    rec = {'time': t, 'resourceId': rid.upper(), 'operationName': op.upper(),
           'category': 'Administrative', 'resultType': result,
           'resultSignature': sig or {'Start': 'Started.', 'Success': 'Succeeded.Created',
                                      'Failure': 'Failed.Forbidden'}[result],
           'durationMs': 0 if result == 'Start' else 512, 'callerIpAddress': '198.51.100.20',
           'correlationId': corr,
           'identity': {'authorization': {'scope': rid, 'action': op,
                                          'evidence': {'role': 'Owner',
                                                       'roleDefinitionId': ROLE['Owner'].replace('-', ''),
                                                       'principalId': OID[who].replace('-', ''),
                                                       'principalType': 'User'}},
                        'claims': claims(who)},
           'level': 'Information', 'location': 'global',
           'properties': dict({'statusCode': 'Created' if result == 'Success' else
                               ('Forbidden' if result == 'Failure' else ''),
                               'eventCategory': 'Administrative', 'entity': rid,
                               'message': op}, **(props or {}))}
    if result == 'Failure':
        rec['properties']['statusMessage'] = json.dumps({'error': {
            'code': 'AuthorizationFailed',
            'message': 'The client does not have authorization to perform action'}})
    az_files.setdefault((sub, t[:13]), []).append(rec)


def assign(t, t2, sub_of_caller, who, scope, principal, ptype, role_name, result='Success'):
    aid = uid('ra')
    rid = '%s/providers/Microsoft.Authorization/roleAssignments/%s' % (scope, aid)
    body = {'Id': aid, 'Properties': {'PrincipalId': principal, 'PrincipalType': ptype,
                                      'RoleDefinitionId': '/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s' % (sub_of_caller, ROLE[role_name]),
                                      'Scope': scope}}
    corr = uid('corr')
    sub = scope.split('/')[2] if scope.startswith('/subscriptions/') else sub_of_caller
    op = 'Microsoft.Authorization/roleAssignments/write'
    if result == 'Failure':
        az(t, sub, who, op, rid, 'Failure', corr)
        return aid
    az(t, sub, who, op, rid, 'Start', corr, {'requestbody': json.dumps(body)})
    resp = {'properties': {'roleDefinitionId': body['Properties']['RoleDefinitionId'],
                           'principalId': principal, 'principalType': ptype, 'scope': scope},
            'id': rid, 'type': 'Microsoft.Authorization/roleAssignments', 'name': aid}
    az(t2, sub, who, op, rid, 'Success', corr, {'responseBody': json.dumps(resp)})
    return aid


def vm_write(t, sub, who, vm='vm-app-01', rg='rg-app-prod'):
    rid = '/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s' % (sub, rg, vm)
    corr = uid('corr')
    op = 'Microsoft.Compute/virtualMachines/write'
    az(t, sub, who, op, rid, 'Start', corr)
    az(t, sub, who, op, rid, 'Success', corr)


def write_az():
    for (sub, hour), recs in az_files.items():
        d = os.path.join(OUT, 'insights-activity-logs', 'resourceId=', 'SUBSCRIPTIONS', sub.upper(),
                         'y=' + hour[:4], 'm=' + hour[5:7], 'd=' + hour[8:10], 'h=' + hour[11:13],
                         'm=00')
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, 'PT1H.json'), 'a') as f:
            for r in sorted(recs, key=lambda r: r['time']):
                f.write(json.dumps(r) + '\n')


# ----------------------------------------------------------------- GCP ------

gcp_files = {}
PROJ = 'corp-prod-4711'


def sa(name, proj=PROJ):
    return '%s@%s.iam.gserviceaccount.com' % (name, proj)


def gcp(t, log, who, method, service, resname, chain=None, request=None, service_data=None,
        perm=None, denied=False, rtype=None, labels=None, ip='198.51.100.30', extra_auth=None):
    auth = {'principalEmail': who}
    if chain:
        auth['serviceAccountDelegationInfo'] = [{'firstPartyPrincipal': {'principalEmail': c}}
                                                for c in chain]
    pp = {'@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
          'authenticationInfo': auth,
          'authorizationInfo': extra_auth or [{'granted': not denied, 'permission': perm or 'x.y.z',
                                               'resource': resname, 'resourceAttributes': {}}],
          'methodName': method,
          'requestMetadata': {'callerIp': ip,
                              'callerSuppliedUserAgent': 'google-cloud-sdk gcloud/470.0.0 command/gcloud.x',
                              'requestAttributes': {'time': t}, 'destinationAttributes': {}},
          'resourceName': resname, 'serviceName': service}
    if request:
        pp['request'] = request
    if service_data:
        pp['serviceData'] = service_data
    if denied:
        pp['status'] = {'code': 7, 'message': "Permission '%s' denied on resource (or it may not exist)." % perm}
    e = {'insertId': uid('ins')[:12], 'logName': 'projects/%s/logs/cloudaudit.googleapis.com%%2F%s' % (PROJ, log),
         'protoPayload': pp, 'receiveTimestamp': t,
         'resource': {'labels': dict({'project_id': PROJ}, **(labels or {})),
                      'type': rtype or 'project'},
         'severity': 'ERROR' if denied else ('INFO' if log == 'data_access' else 'NOTICE'),
         'timestamp': t}
    gcp_files.setdefault((log, t[:13]), []).append(e)


def unique_id(email):
    return '1%017d' % (int(hashlib.sha256(email.encode()).hexdigest(), 16) % 10 ** 17)


def token(t, who, target, chain=None, delegates=None, denied=False, method='GenerateAccessToken'):
    req = {'@type': 'type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest',
           'name': 'projects/-/serviceAccounts/%s' % target}
    if delegates:
        req['delegates'] = ['projects/-/serviceAccounts/%s' % d for d in delegates]
    gcp(t, 'data_access', who, method, 'iamcredentials.googleapis.com',
        'projects/-/serviceAccounts/%s' % unique_id(target), chain=chain, request=req,
        perm='iam.serviceAccounts.getAccessToken', denied=denied, rtype='service_account',
        labels={'email_id': target, 'unique_id': unique_id(target)})


def call_as(t, target, chain, method='v1.compute.instances.insert', ip='198.51.100.30'):
    gcp(t, 'activity', target, method, 'compute.googleapis.com',
        'projects/%s/zones/europe-west1-b/instances/app-1' % PROJ, chain=chain,
        perm='compute.instances.create', rtype='gce_instance', ip=ip)


def set_iam(t, who, member, role_name):
    gcp(t, 'activity', who, 'SetIamPolicy', 'cloudresourcemanager.googleapis.com',
        'projects/%s' % PROJ,
        request={'@type': 'type.googleapis.com/google.iam.v1.SetIamPolicyRequest',
                 'policy': {'bindings': [{'members': [member], 'role': role_name}]},
                 'resource': PROJ},
        service_data={'@type': 'type.googleapis.com/google.iam.v1.logging.AuditData',
                      'policyDelta': {'bindingDeltas': [{'action': 'ADD', 'member': member,
                                                         'role': role_name}]}},
        perm='resourcemanager.projects.setIamPolicy')


def write_gcp():
    for (log, hour), recs in gcp_files.items():
        d = os.path.join(OUT, 'cloudaudit.googleapis.com', log, hour[:4], hour[5:7], hour[8:10])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, '%s:00:00_%s:59:59_S0.json' % (hour[11:13], hour[11:13])), 'a') as f:
            for r in sorted(recs, key=lambda r: r['timestamp']):
                f.write(json.dumps(r, sort_keys=True) + '\n')


# --------------------------------------------------------------- cases ------

def short():
    d = '2026-03-10T'
    # AWS 1: alice's SSO session -> ops-admin (A) -> billing-admin (B, cross-account,
    # recorded by both accounts with one sharedEventID) -> data-reader (C)
    alice = sso(A, 'AWSReservedSSO_Admin_0123456789abcdef', 'alice.ito@corp.test', 'ASIAALICESSO0000001', d + '09:58:00Z')
    ct(d + '09:59:00Z', A, alice, 'GetCallerIdentity', src='sts.amazonaws.com')
    assume(d + '10:00:00Z', A, alice, role(A, 'ops-admin'), 'alice.ito@corp.test', 'ASIAOPSADMIN0000001',
           src_id='alice.ito@corp.test', eid='aaaaaaaa-0000-4000-8000-000000000001')
    ops = session(role(A, 'ops-admin'), 'alice.ito@corp.test', 'ASIAOPSADMIN0000001', d + '10:00:00Z', 'alice.ito@corp.test')
    ct(d + '10:01:00Z', A, ops, 'ListRoles', src='iam.amazonaws.com')
    assume(d + '10:04:00Z', A, ops, role(B, 'billing-admin'), 'alice.ito@corp.test', 'ASIABILLING00000001',
           shared='5b5b5b5b-0000-4000-8000-000000000001', src_id='alice.ito@corp.test',
           eid='aaaaaaaa-0000-4000-8000-000000000002')
    twin_ui = {'type': 'AWSAccount', 'principalId': 'AROAOPSADMIN:alice.ito@corp.test', 'accountId': A}
    assume(d + '10:04:00Z', B, twin_ui, role(B, 'billing-admin'), 'alice.ito@corp.test', 'ASIABILLING00000001',
           shared='5b5b5b5b-0000-4000-8000-000000000001', src_id='alice.ito@corp.test',
           eid='aaaaaaaa-0000-4000-8000-000000000003')
    bill = session(role(B, 'billing-admin'), 'alice.ito@corp.test', 'ASIABILLING00000001', d + '10:04:00Z', 'alice.ito@corp.test')
    ct(d + '10:05:30Z', B, bill, 'ListBuckets', src='s3.amazonaws.com')
    assume(d + '10:06:00Z', B, bill, role(C, 'data-reader'), 'alice.ito@corp.test', 'ASIADATAREAD0000001',
           src_id='alice.ito@corp.test', eid='aaaaaaaa-0000-4000-8000-000000000004')
    # AWS 2: bob's long-term key -> deploy-role -> admin-role (same account)
    bob = iam_user(A, 'bob.ops', 'AKIABOBOPS000000001')
    assume(d + '12:00:00Z', A, bob, role(A, 'deploy-role'), 'bob-cli', 'ASIADEPLOY000000001',
           eid='bbbbbbbb-0000-4000-8000-000000000001', ip='203.0.113.77')
    dep = session(role(A, 'deploy-role'), 'bob-cli', 'ASIADEPLOY000000001', d + '12:00:00Z')
    assume(d + '12:01:10Z', A, dep, role(A, 'admin-role'), 'escalate', 'ASIAADMINROLE000001',
           eid='bbbbbbbb-0000-4000-8000-000000000002', ip='203.0.113.77')
    # AWS 3 (negative twin of 1): carol's single same-account hop, used
    carol = sso(A, 'AWSReservedSSO_ReadOnly_fedcba9876543210', 'carol.wu@corp.test', 'ASIACAROLSSO0000001', d + '10:00:00Z')
    assume(d + '10:10:00Z', A, carol, role(A, 'readonly'), 'carol.wu@corp.test', 'ASIAREADONLY0000001',
           eid='cccccccc-0000-4000-8000-000000000001')
    ct(d + '10:11:00Z', A, session(role(A, 'readonly'), 'carol.wu@corp.test', 'ASIAREADONLY0000001', d + '10:10:00Z'),
       'DescribeInstances', src='ec2.amazonaws.com')
    # AWS 3b (negative twin of 2): dan's long-term key, one hop, denied second hop
    dan = iam_user(A, 'dan.dev', 'AKIADANDEV000000001')
    assume(d + '13:00:00Z', A, dan, role(A, 'deploy-role'), 'dan-cli', 'ASIADANDEPLOY000001',
           eid='dddddddd-0000-4000-8000-000000000001')
    ddep = session(role(A, 'deploy-role'), 'dan-cli', 'ASIADANDEPLOY000001', d + '13:00:00Z')
    ct(d + '13:01:00Z', A, ddep, 'AssumeRole', {'roleArn': role(A, 'admin-role'), 'roleSessionName': 'x'},
       role=role(A, 'admin-role'), err='AccessDenied', eid='dddddddd-0000-4000-8000-000000000002')
    # AWS 3c: henry's chain whose second hop comes from another address: linked
    # only with role_chain.same_address = false
    henry = sso(A, 'AWSReservedSSO_Admin_0123456789abcdef', 'henry.ng@corp.test', 'ASIAHENRYSSO0000001', d + '15:00:00Z')
    assume(d + '15:00:00Z', A, henry, role(A, 'net-admin'), 'henry.ng@corp.test', 'ASIANETADMIN0000001',
           eid='12121212-0000-4000-8000-000000000001', ip='198.51.100.44')
    net = session(role(A, 'net-admin'), 'henry.ng@corp.test', 'ASIANETADMIN0000001', d + '15:00:00Z')
    assume(d + '15:09:00Z', A, net, role(A, 'dns-admin'), 'henry.ng@corp.test', 'ASIADNSADMIN0000001',
           eid='12121212-0000-4000-8000-000000000002', ip='192.0.2.199')
    # AWS 4: a Lambda role delivered by the service, which then assumes another role
    svc = {'type': 'AWSService', 'invokedBy': 'lambda.amazonaws.com'}
    assume(d + '11:00:00Z', A, svc, role(A, 'service-role/orders-fn-role'), 'orders-fn', 'ASIALAMBDA000000001',
           eid='eeeeeeee-0000-4000-8000-000000000001', ip='lambda.amazonaws.com')
    fn = session(role(A, 'service-role/orders-fn-role'), 'orders-fn', 'ASIALAMBDA000000001', d + '11:00:00Z')
    assume(d + '11:00:05Z', A, fn, role(A, 'orders-data'), 'orders-fn', 'ASIAORDERSDATA00001',
           eid='eeeeeeee-0000-4000-8000-000000000002', ip='3.5.140.2')
    # AWS 5: CI: web identity -> github-deploy -> deploy-target
    wid = {'type': 'WebIdentityUser', 'principalId': 'arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:corp/app:ref:refs/heads/main' % A,
           'userName': 'repo:corp/app:ref:refs/heads/main',
           'identityProvider': 'arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com' % A}
    assume(d + '14:00:00Z', A, wid, role(A, 'github-deploy'), 'GitHubActions', 'ASIAGITHUB000000001',
           action='AssumeRoleWithWebIdentity', eid='ffffffff-0000-4000-8000-000000000001', ip='20.1.2.3')
    gh = session(role(A, 'github-deploy'), 'GitHubActions', 'ASIAGITHUB000000001', d + '14:00:00Z')
    assume(d + '14:00:20Z', A, gh, role(A, 'deploy-target'), 'GitHubActions', 'ASIADEPLOYTGT000001',
           eid='ffffffff-0000-4000-8000-000000000002', ip='20.1.2.3')

    # Azure 1: lea assigns Owner on S2 to ivan; ivan (who worked only in S1) acts in S2
    vm_write(d + '08:00:00.1000000Z', S1, 'ivan', rg='rg-dev')
    assign(d + '10:20:00.1000000Z', d + '10:20:02.1000000Z', S1, 'lea', '/subscriptions/%s' % S2,
           OID['ivan'], 'User', 'Owner')
    vm_write(d + '10:32:00.1000000Z', S2, 'ivan')
    # Azure 2 (negative twin): Owner on S2 to otto, who had already worked in S2
    vm_write(d + '09:00:00.1000000Z', S2, 'otto', vm='vm-otto')
    assign(d + '10:40:00.1000000Z', d + '10:40:02.1000000Z', S1, 'lea', '/subscriptions/%s' % S2,
           OID['otto'], 'User', 'Owner')
    vm_write(d + '10:50:00.1000000Z', S2, 'otto', vm='vm-otto')
    # Azure 3: Contributor on S3 to pia, no use -> medium
    assign(d + '11:00:00.1000000Z', d + '11:00:01.1000000Z', S1, 'lea', '/subscriptions/%s' % S3,
           OID['pia'], 'User', 'Contributor')
    # Azure 4 (negative): Reader on S1 to rex, no use
    assign(d + '11:10:00.1000000Z', d + '11:10:01.1000000Z', S1, 'lea', '/subscriptions/%s' % S1,
           OID['rex'], 'User', 'Reader')
    # Azure 5: mia's denied attempt
    assign(d + '11:20:00.1000000Z', None, S1, 'mia', '/subscriptions/%s' % S1, OID['mia'], 'User',
           'Owner', result='Failure')
    # Azure 6: elevateAccess by sam
    corr = uid('corr')
    az(d + '11:30:00.1000000Z', S1, 'sam', 'Microsoft.Authorization/elevateAccess/action',
       '/providers/Microsoft.Authorization', 'Success', corr, sig='Succeeded.OK')

    # GCP 1: frank (org) mints a token for sa-deployer, then acts as it
    token(d + '10:00:00.100000000Z', 'frank@corp.test', sa('sa-deployer'))
    call_as(d + '10:01:00.100000000Z', sa('sa-deployer'), ['frank@corp.test'])
    call_as(d + '10:02:00.100000000Z', sa('sa-deployer'), ['frank@corp.test'])
    # GCP 2: a chain frank -> sa-deployer -> sa-admin
    token(d + '10:03:00.100000000Z', sa('sa-deployer'), sa('sa-admin'), chain=['frank@corp.test'])
    call_as(d + '10:04:00.100000000Z', sa('sa-admin'), ['frank@corp.test', sa('sa-deployer')],
            method='v1.compute.firewalls.insert')
    # GCP 3: an outside principal mints a token
    token(d + '10:10:00.100000000Z', 'eve.outsider@gmail.com', sa('sa-deployer'), method='SignJwt')
    # GCP 4: grants: token creator to the outsider (high), viewer to someone (nothing)
    set_iam(d + '09:50:00.100000000Z', 'root-admin@corp.test', 'user:eve.outsider@gmail.com',
            'roles/iam.serviceAccountTokenCreator')
    set_iam(d + '09:51:00.100000000Z', 'root-admin@corp.test', 'user:vic@corp.test', 'roles/viewer')
    # GCP 5: a denied token call
    token(d + '10:20:00.100000000Z', 'gina@corp.test', sa('sa-admin'), denied=True)


def baseline():
    days = ['2026-04-0%d' % i for i in range(1, 6)]
    for i, day in enumerate(days):
        # the daily cross-account report: dave (Reporting permission set) -> B
        dave = sso(A, 'AWSReservedSSO_Reporting_1111222233334444', 'dave.kim@corp.test', 'ASIADAVE%011d' % i, day + 'T08:00:00Z')
        assume(day + 'T09:00:00Z', A, dave, role(B, 'reporting'), 'dave.kim@corp.test', 'ASIADAVEREP%08d' % i)
        # terraform@ impersonated by its operator every day
        call_as(day + 'T10:00:00.100000000Z', sa('terraform'), ['olga@corp.test'])
        # a workload identity every day
        call_as(day + 'T10:30:00.100000000Z', sa('github-deployer'),
                ['principal://iam.googleapis.com/projects/1234/locations/global/workloadIdentityPools/github/subject/repo:corp/app:ref:refs/heads/main'])
    day = days[-1]
    # day 5: erin (another permission set) crosses into B for the first time
    erin = sso(A, 'AWSReservedSSO_Admin_5555666677778888', 'erin.lee@corp.test', 'ASIAERIN0000000001', day + 'T11:00:00Z')
    assume(day + 'T11:05:00Z', A, erin, role(B, 'reporting'), 'erin.lee@corp.test', 'ASIAERINREP0000001',
           eid='99999999-0000-4000-8000-000000000001')
    # day 5: paul impersonates terraform@ for the first time
    call_as(day + 'T12:00:00.100000000Z', sa('terraform'), ['paul@corp.test'])
    # day 5: a new workload identity (federated) on github-deployer
    call_as(day + 'T12:30:00.100000000Z', sa('github-deployer'),
            ['principal://iam.googleapis.com/projects/1234/locations/global/workloadIdentityPools/github/subject/repo:corp/other:ref:refs/heads/main'])


{'short': short, 'baseline': baseline}[CASE]()
write_ct()
write_az()
write_gcp()
