*** Settings ***
Documentation       Leaves the node as it was: the imapsync and Mail modules and the user
...                 domain are removed without keeping their data.
Resource            imapsync.resource
Test Tags           uninstall


*** Test Cases ***
Remove the imapsync module
    ${imapsync_id} =    Get Variable Value    ${IMAPSYNC_ID}
    IF    $imapsync_id is None
        ${imapsync_id} =    Installed module id    imapsync
    END
    Run on the node    remove-module --no-preserve ${imapsync_id}
    Wait Until Keyword Succeeds    1 minute    5s    Run on the node    test ! -e /home/${imapsync_id}

Remove the Mail module
    ${mail_id} =    Get Variable Value    ${MAIL_ID}
    IF    $mail_id is None
        ${mail_id} =    Installed module id    mail
    END
    Run on the node    remove-module --no-preserve ${mail_id}

Remove the user domain
    [Tags]    udom
    Run task    cluster/remove-internal-domain    {"domain": "${USER_DOMAIN}"}
