*** Settings ***
Documentation       The options the Perl module needed local imapsync patches for: inbox mode
...                 (only unseen messages, then \\Seen on the remote side), remote retention
...                 (delete_remote_older) and Sieve delivery of the copied messages.
Resource            imapsync.resource
Suite Setup         Use the installed modules
Suite Teardown      Delete every task
Test Tags           options


*** Variables ***
${INBOX_TASK}       inbox1
${OLDER_TASK}       older1
${SIEVE_TASK}       sieve1
${SIEVE_MARKER}     IMAPSYNC-SIEVE-MARKER
${SIEVE_FOLDER}     SieveTest


*** Test Cases ***
Deliver three unseen messages to the remote user
    ${unseen} =    Count messages    ${REMOTE_USER}    query=unseen
    Set Suite Variable    ${REMOTE_UNSEEN_BEFORE}    ${unseen}
    ${local} =    Count messages    ${LOCAL_USER}
    Set Suite Variable    ${LOCAL_BEFORE}    ${local}
    Send messages    ${REMOTE_USER}    3
    Wait until message count is    ${REMOTE_USER}    ${{ $unseen + 3 }}    query=unseen

Inbox mode copies the unseen messages
    [Tags]    inbox
    Create sync task    ${INBOX_TASK}    folders=inbox
    Wait for a successful sync    ${INBOX_TASK}
    Wait until message count is    ${LOCAL_USER}    ${{ $LOCAL_BEFORE + 3 }}

Inbox mode marks the copied messages seen on the remote side
    [Tags]    inbox
    Wait until message count is    ${REMOTE_USER}    ${REMOTE_UNSEEN_BEFORE}    query=unseen

A second inbox-mode run transfers nothing
    [Documentation]    The copied messages are \\Seen on the remote side now, so the run that
    ...    selects only unseen ones finds nothing to do.
    [Tags]    inbox
    Run the task again and wait    ${INBOX_TASK}
    Message count should be    ${LOCAL_USER}    ${{ $LOCAL_BEFORE + 3 }}
    ${log} =    Read the task log    ${INBOX_TASK}
    Should Match Regexp    ${log}    Messages transferred\\s*:\\s*0\\b
    [Teardown]    Delete sync task    ${INBOX_TASK}

Remote retention is stored and reported
    [Documentation]    delete_remote with delete_remote_older 5 deletes on the remote side only
    ...    what is older than five days: the fresh messages stay, and nothing is copied twice.
    [Tags]    retention
    ${remote} =    Count messages    ${REMOTE_USER}
    ${local} =    Count messages    ${LOCAL_USER}
    Create sync task    ${OLDER_TASK}    delete_remote=${TRUE}    older=${5}
    Wait for a successful sync    ${OLDER_TASK}
    ${task} =    Task properties    ${OLDER_TASK}
    Should Be Equal    ${task}[delete_remote]    ${TRUE}
    Should Be Equal As Integers    ${task}[delete_remote_older]    5
    Message count should be    ${REMOTE_USER}    ${remote}
    Message count should be    ${LOCAL_USER}    ${local}
    [Teardown]    Delete sync task    ${OLDER_TASK}

Activate a Sieve script for the local user
    [Tags]    sieve
    Run Keyword And Ignore Error    Run in the mail container
    ...    doveadm mailbox delete -r -u ${LOCAL_USER} ${SIEVE_FOLDER}
    ${script} =    Catenate    SEPARATOR=\n
    ...    require ["fileinto", "mailbox"];
    ...    if header :contains "subject" "${SIEVE_MARKER}" {
    ...    fileinto :create "${SIEVE_FOLDER}";
    ...    }
    Write a file on the node    /tmp/imapsync-test.sieve    ${script}\n
    Run on the node
    ...    runagent -m ${MAIL_ID} podman exec -i dovecot doveadm sieve put -u ${LOCAL_USER} -a imapsynctest < /tmp/imapsync-test.sieve

Deliver two marked messages to the remote user
    [Tags]    sieve
    ${unseen} =    Count messages    ${REMOTE_USER}    query=unseen
    Send messages    ${REMOTE_USER}    2    subject=Filtered ${SIEVE_MARKER}
    Wait until message count is    ${REMOTE_USER}    ${{ $unseen + 2 }}    query=unseen

Inbox mode with Sieve files the messages as delivery would
    [Documentation]    The local user's active script runs over the copied messages (FILTER
    ...    SIEVE DELIVERY), so fileinto moves them out of INBOX.
    [Tags]    sieve
    ${inbox} =    Count messages    ${LOCAL_USER}
    Create sync task    ${SIEVE_TASK}    folders=inbox    sieve=${TRUE}
    Wait for a successful sync    ${SIEVE_TASK}
    ${log} =    Read the task log    ${SIEVE_TASK}
    Should Contain    ${log}    FILTER SIEVE DELIVERY UID
    Wait until message count is    ${LOCAL_USER}    2    mailbox=${SIEVE_FOLDER}
    Message count should be    ${LOCAL_USER}    ${inbox}
    ${task} =    Task properties    ${SIEVE_TASK}
    Should Be Equal    ${task}[sieve_enabled]    ${TRUE}
    [Teardown]    Remove the Sieve test

The imapsync command accepts the options of the patched imapsync
    [Documentation]    Custom cron lines call the imapsync command with the Perl tool's flags;
    ...    the three that came from local patches must be understood, not refused as unknown.
    [Tags]    compat
    ${output} =    Run in the imapsync container
    ...    imapsync --justlogin --host1 ${MAIL_HOST} --port1 143 --tls1 --user1 ${REMOTE_USER} --password1 '${PASSWORD}' --host2 ${MAIL_HOST} --port2 143 --tls2 --user2 ${LOCAL_USER} --password2 '${PASSWORD}' --setflag1=Seen --delete1older=30 --sievedelivery2
    Should Not Contain    ${output}    unknown options

No task is left behind
    Delete every task


*** Keywords ***
Remove the Sieve test
    Run Keyword And Ignore Error    Delete sync task    ${SIEVE_TASK}
    Run Keyword And Ignore Error    Run in the mail container
    ...    doveadm sieve deactivate -u ${LOCAL_USER}
    Run Keyword And Ignore Error    Run in the mail container
    ...    doveadm sieve delete -u ${LOCAL_USER} imapsynctest
    Run Keyword And Ignore Error    Run in the mail container
    ...    doveadm mailbox delete -r -u ${LOCAL_USER} ${SIEVE_FOLDER}
