*** Settings ***
Documentation       The environment the imapsync suites need: an OpenLDAP user domain with the
...                 users u1, u2 and u3, and a Mail module serving it with the mail domain
...                 domain.test, as the NS8 module suites set it up.
Resource            imapsync.resource
Test Tags           install


*** Test Cases ***
Install an OpenLDAP user domain
    [Tags]    udom
    ${response} =    Run task    cluster/add-internal-provider    {"image": "openldap", "node": 1}
    Set Global Variable    ${LDAP_ID}    ${response}[module_id]
    Run task    module/${LDAP_ID}/configure-module
    ...    {"domain": "${USER_DOMAIN}", "admuser": "admin", "admpass": "${PASSWORD}", "provision": "new-domain"}

Add the users u1, u2 and u3
    [Tags]    udom
    FOR    ${user}    ${name}    IN
    ...    u1    First User
    ...    u2    Second User
    ...    u3    Third User
        Run task    module/${LDAP_ID}/add-user
        ...    {"user": "${user}", "display_name": "${name}", "password": "${PASSWORD}"}
    END

Install the Mail module
    [Tags]    mail
    ${output} =    Run on the node    add-module ${MAIL_IMAGE_URL} 1
    # add-module prints the task output as a Python dict, not as JSON.
    ${module} =    Evaluate    ast.literal_eval($output)    modules=ast
    Set Global Variable    ${MAIL_ID}    ${module}[module_id]

Configure the Mail module for the user domain
    [Tags]    mail
    Run task    module/${MAIL_ID}/configure-module
    ...    {"hostname": "${MAIL_HOSTNAME}", "user_domain": "${USER_DOMAIN}", "mail_domain": "${MAIL_DOMAIN}"}

Every user has a mailbox
    [Tags]    mail
    Wait Until Keyword Succeeds    2 minutes    5s    Mailboxes should exist for    u1    u2    u3


*** Keywords ***
Mailboxes should exist for
    [Arguments]    @{users}
    ${result} =    Run task    module/${MAIL_ID}/list-user-mailboxes
    ${known} =    Evaluate    [mailbox['user'] for mailbox in $result['user_mailboxes']]
    FOR    ${user}    IN    @{users}
        Should Contain    ${known}    ${user}    msg=the Mail module has no mailbox for ${user}
    END
