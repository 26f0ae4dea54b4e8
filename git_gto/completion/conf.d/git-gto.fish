# `git gto <TAB>` in fish: fish's git completion hands `git gto ...` to the completion of
# `git-gto`, but fish 3.6 registers programs named git-* under the wrong name (git-gto).
complete -c git -f -n '__fish_git_using_command gto' -a '(__fish_git_complete_custom_command gto)'
